#ifndef ICUSHIM_H
#define ICUSHIM_H
// The ICU functions ConvReLU needs, behind a header with only <stdint.h> types.
// Swift modules import this header, never the ICU headers: the toolchain ships its own ICU
// as clang module `_FoundationICU`, and a Swift module that sees both fails to compile.
//
// Text is UTF-16 (ICU's UChar). `status` receives the ICU UErrorCode: 0 success,
// negative a warning, positive an error. ICUSHIM_BUFFER_OVERFLOW means `cap` was too small and
// the function returned the length it needs.
#include <stdint.h>

enum { ICUSHIM_BUFFER_OVERFLOW = 15 };

/// NFKC of src[0..<len] into dst; returns the output length.
int32_t icushim_nfkc(const uint16_t *src, int32_t len, uint16_t *dst, int32_t cap, int32_t *status);

/// Default (locale-independent) full case folding of src[0..<len] into dst; returns the output length.
int32_t icushim_fold_case(const uint16_t *src, int32_t len, uint16_t *dst, int32_t cap, int32_t *status);

/// Opens a transliterator by ICU id, e.g. "Latin-ASCII" or "Any-Latin; Latin-ASCII".
/// Returns NULL on failure. A transliterator must not be used by two threads at once.
void *icushim_transliterator_open(const uint16_t *id, int32_t idLen, int32_t *status);
void icushim_transliterator_close(void *transliterator);

/// Transliterates text[0..<*len] in place; on return *len is the new length.
/// On ICUSHIM_BUFFER_OVERFLOW, *len is the capacity needed and `text` is left in an
/// unspecified state, so the caller must retry from its own copy of the input.
void icushim_transliterate(void *transliterator, uint16_t *text, int32_t *len, int32_t cap, int32_t *status);

/// ICU's name for an error code, e.g. "U_ILLEGAL_ARGUMENT_ERROR". Static storage.
const char *icushim_error_name(int32_t status);

#endif
