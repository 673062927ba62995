// Package fdtest holds what the tests of faultdecode's packages share: a
// fake firmware image with synthetic CFI and code (Prog), RAM and system
// register regions to build snapshots from (Stack, SCBRegion), and the
// builder of the small test firmwares under faultdecode/testdata.
//
// It is for tests only: no package's non-test code may import it.
package fdtest
