#include "icushim.h"
#include <unicode/utypes.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

int32_t icushim_nfkc(const uint16_t *src, int32_t len, uint16_t *dst, int32_t cap, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *normalizer = unorm2_getNFKCInstance(&error);
    if (U_FAILURE(error)) { *status = error; return 0; }
    int32_t written = unorm2_normalize(normalizer, (const UChar *)src, len, (UChar *)dst, cap, &error);
    *status = error;
    return written;
}

int32_t icushim_fold_case(const uint16_t *src, int32_t len, uint16_t *dst, int32_t cap, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    int32_t written = u_strFoldCase((UChar *)dst, cap, (const UChar *)src, len, U_FOLD_CASE_DEFAULT, &error);
    *status = error;
    return written;
}

void *icushim_transliterator_open(const uint16_t *id, int32_t idLen, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    UTransliterator *transliterator = utrans_openU((const UChar *)id, idLen, UTRANS_FORWARD, NULL, -1, NULL, &error);
    *status = error;
    return U_FAILURE(error) ? NULL : transliterator;
}

void icushim_transliterator_close(void *transliterator) {
    if (transliterator) utrans_close((UTransliterator *)transliterator);
}

void icushim_transliterate(void *transliterator, uint16_t *text, int32_t *len, int32_t cap, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    int32_t limit = *len;
    utrans_transUChars((const UTransliterator *)transliterator, (UChar *)text, len, cap, 0, &limit, &error);
    *status = error;
}

const char *icushim_error_name(int32_t status) {
    return u_errorName((UErrorCode)status);
}
