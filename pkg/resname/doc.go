// Package resname reads and writes Gaoxing's resource names (AIP-122):
// "tenants/{tenant}" for a tenant and "tenants/{tenant}/{collection}/{id}" for a resource
// in it. Every service parses the names of its requests here, so a name means the same
// thing everywhere: the tenant is a valid tenancy.ID, the collection is the one the field
// expects, and the id matches the collection's own pattern. A malformed name is an
// INVALID_ARGUMENT error with a field violation and a stable code.
package resname
