// Package page implements paging for List methods as AIP-158 and
// gaoxing/common/v1/paging.proto describe it: page sizes with a default and a cap, and
// opaque page tokens (分页令牌) that carry the position after the last item returned
// together with a fingerprint of the query's filter and order, so a token is refused
// when it is replayed against a different query. A token is opaque, not secret: it is
// not signed, and a crafted one can only move the starting position, so list queries
// must still apply their tenant and authorization filters to every page.
package page
