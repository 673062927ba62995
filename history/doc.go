// Package history groups crashes by fingerprint: the crash history of a
// capture directory (`faultline analyze DIR`) and of a soak run. A group
// counts the captures of one crash, when it was first and last seen, and
// on which firmware builds.
//
// It reads capture files and asks faultdecode for reports and
// fingerprints; it must not talk to a target or decide how a capture is
// explained (the fingerprint is faultdecode's). Which ELF a capture is
// analysed against is the caller's choice (Scan's OpenELF).
//
// Quirks it handles:
//   - Write's temporary files (".crash-....core.tmp-*") are skipped, so a
//     soak writing into the directory does not show half files.
//   - A capture taken against another build than the ELF given is analysed
//     without symbols rather than with names that would lie.
package history
