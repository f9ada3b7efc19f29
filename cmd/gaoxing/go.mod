module github.com/gaoxing-gov/gaoxing/cmd/gaoxing

go 1.26.0
