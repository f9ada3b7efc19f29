package identity

import (
	"fmt"
	"testing"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// BenchmarkAuthenticate is a successful login (Authenticate) end to end: the account read
// from SQLite and one argon2id verification, under DefaultArgon2 and two cheaper settings
// for comparison. Each op is one login on one goroutine; run with -cpu 1,2 for parallel
// logins on both cores (RunParallel).
func BenchmarkAuthenticate(b *testing.B) {
	for _, p := range []Argon2Params{DefaultArgon2, {MemoryKiB: 19 * 1024, Time: 2, Threads: 1}, {MemoryKiB: 46 * 1024, Time: 1, Threads: 1}} {
		name := fmt.Sprintf("m=%dMiB,t=%d,p=%d", p.MemoryKiB/1024, p.Time, p.Threads)
		b.Run(name, func(b *testing.B) {
			f := newFixture(b, testenv.SQLite(b), Options{Argon2: p})
			f.user(b, f.sys(), "ahz.s01", "bench-user")
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := f.core.Authenticate(b.Context(), "bench-user", strongPassword, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
