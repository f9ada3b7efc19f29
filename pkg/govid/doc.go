// Package govid validates the two national identifiers Gaoxing accepts, each with its
// check character: the unified social credit code (统一社会信用代码, GB 32100-2015) that
// identifies an enterprise or other organisation, and the resident identity card number
// (居民身份证号码, GB 11643-1999) of a citizen. Validation is offline and pure: it proves the
// value is well formed and was not mistyped, not that it was ever issued. Errors are
// errs.InvalidArgument with the stable codes INVALID_CREDIT_CODE and INVALID_ID_NUMBER.
package govid
