// Package sealed encrypts personal information (个人信息) field by field before it is
// stored: resident ID card numbers, phone numbers. Seal gives a printable string that names
// the key it was sealed with ("k2:…", AES-256-GCM with a fresh random nonce, bound to the
// row and column it belongs to by associated data), so keys can rotate: a Ring holds the
// current key, which seals, and older keys, which still open what they sealed until it is
// resealed. A sealed value cannot be searched, so Ring also makes a blind index (盲索引): a
// keyed HMAC-SHA256 of the normalized value under a separate index key, stored beside the
// ciphertext, which finds "the user with this ID number" by equality without decrypting
// anything and without revealing the value to someone who reads the database but holds
// no keys. Keys come from configuration or a secret, base64-encoded, never from code.
package sealed
