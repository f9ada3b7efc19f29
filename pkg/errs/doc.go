// Package errs is Gaoxing's one error table. A domain error carries a Kind (what class of
// failure it is) and a stable Code (which failure exactly); the table maps the Kind to a
// gRPC code and an HTTP status, so every service and both transports answer alike.
//
// Services declare sentinels beside their Service interface:
//
//	var ErrNoteNotFound = errs.New(errs.NotFound, "NOTE_NOT_FOUND", "便签不存在")
//
// and return them wrapped as they like (fmt.Errorf("load %s: %w", id, ErrNoteNotFound));
// errors.Is and errors.As still find them, so wrapping never loses the status.
// Anything that is not an *Error becomes INTERNAL with its text hidden from the caller.
package errs
