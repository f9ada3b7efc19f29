package documents

import (
	"bytes"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SniffLen is how many leading bytes content sniffing looks at.
const SniffLen = 512

// Content types the service stores. The type comes from the bytes, never from the client.
const (
	typePDF  = "application/pdf"
	typePNG  = "image/png"
	typeJPEG = "image/jpeg"
	typeText = "text/plain; charset=utf-8"
	typeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	typeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	// OFD (版式文档, GB/T 33190) is a ZIP package like the OOXML formats.
	typeOFD = "application/ofd"
)

// zipTypes are the ZIP-packaged formats allowed, by file extension: the bytes prove it is
// a ZIP, the extension says which package; any other ZIP (an archive that could carry
// anything) is refused.
var zipTypes = map[string]string{".docx": typeDOCX, ".xlsx": typeXLSX, ".ofd": typeOFD}

// sniff returns the stored content type of a file whose first bytes are head and whose
// (sanitised) name is filename, or ErrTypeNotAllowed.
func sniff(head []byte, filename string) (string, error) {
	if len(head) == 0 {
		return "", ErrEmpty
	}
	// Executables are named in the error: a ".pdf" that is an ELF or PE binary is the
	// case clerks must understand.
	if bytes.HasPrefix(head, []byte("\x7fELF")) || bytes.HasPrefix(head, []byte("MZ")) {
		return "", ErrTypeNotAllowed.WithMessage("不允许上传可执行文件（%s）", filename)
	}
	detected := http.DetectContentType(head)
	switch detected {
	case typePDF, typePNG, typeJPEG, typeText:
		return detected, nil
	case "application/zip":
		if t, ok := zipTypes[strings.ToLower(path.Ext(filename))]; ok {
			return t, nil
		}
	}
	return "", ErrTypeNotAllowed.WithMessage("不支持的文件类型 %s（允许 PDF、OFD、PNG、JPEG、DOCX、XLSX、纯文本）", detected)
}

// maxFilenameBytes bounds a stored file name (most file systems allow 255 bytes).
const maxFilenameBytes = 255

// SanitizeFilename makes a client's file name safe to store and to send back in a
// Content-Disposition header: only the last path element (either slash), no control or
// reserved characters, no leading dots or trailing dots and spaces, valid UTF-8, at most
// 255 bytes. Names are never used in storage keys; this is for the people and programs
// that later save the file. An empty result becomes "file".
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = strings.ReplaceAll(name, "\\", "/")
	name = strings.TrimPrefix(path.Base("/"+name), "/") // path.Base of a bare root is "/"
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), r == unicode.ReplacementChar:
			return -1
		case strings.ContainsRune(`<>:"|?*/`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	for len(name) > maxFilenameBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		return "file"
	}
	return name
}
