// Package tenancy is what makes Gaoxing multi-tenant: the tenant id (a dotted path such as
// "ahz.s01.c07": district, street, community), the subtree rule every access check and
// row filter uses (a tenant reaches itself and everything below it, never upward or
// sideways), and the tenant tree (租户树) kept in etcd.
package tenancy
