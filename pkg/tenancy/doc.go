// Package tenancy is what makes Gaoxing multi-tenant: the tenant id (a dotted path such as
// "ahz.s01.c07": district, street, community), the subtree rule every access check and
// row filter uses (a tenant reaches itself and everything below it, never upward or
// sideways), and the tenant tree (租户树) kept in etcd.
//
// The tree lives under one prefix (DefaultTreePrefix), one key per tenant holding the
// Tenant as JSON: name, tier, parent, enabled services, windows. Every replica reads it
// through a Tree, which serves Get, Children and Subtree from memory, follows changes
// with an etcd watch and reloads only after a gap in the watch (compaction, lost leader).
// Writes go through Tree.Put and Tree.Delete, which refuse bad ids, orphans (the parent
// must exist, checked in the same transaction as the write), tiers out of order and the
// deletion of a tenant that still has children. The zone's 1+2+29 tree is embedded data
// (DefaultTree, default_tree.yaml) with placeholder names, written once by Tree.Seed.
package tenancy
