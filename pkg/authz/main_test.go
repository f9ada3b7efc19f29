package authz_test

import (
	"testing"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
