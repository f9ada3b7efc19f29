module github.com/gaoxing-gov/gaoxing/e2e

go 1.26.0
