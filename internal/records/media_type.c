#include "media_type.h"

#include <string.h>
#include <strings.h>

struct media_type {
    const char *name;
    const char *extension;
    size_t offset; /* where the signature starts */
    const char *signature;
    size_t signature_len;
};

static const struct media_type types[] = {
    {"application/pdf", "pdf", 0, "%PDF-", 5},
    {"image/jpeg", "jpg", 0, "\xFF\xD8\xFF", 3},
    {"image/png", "png", 0, "\x89PNG\r\n\x1A\n", 8},
    /* DICOM Part 10: a 128-byte preamble (often zeros, but free-form), then "DICM". */
    {"application/dicom", "dcm", 128, "DICM", 4},
};

#define NTYPES (sizeof types / sizeof types[0])

static const struct media_type *find(const char *name)
{
    size_t i;
    for (i = 0; i < NTYPES; i++)
        if (!strcmp(types[i].name, name))
            return &types[i];
    return NULL;
}

const char *media_type_accepted(const char *content_type)
{
    size_t i, n;
    if (!content_type)
        return NULL;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    /* The type ends at parameters or trailing space. */
    n = strcspn(content_type, "; \t");
    for (i = 0; i < NTYPES; i++) {
        const char *rest = content_type + n;
        if (strlen(types[i].name) != n || strncasecmp(types[i].name, content_type, n) != 0)
            continue;
        while (*rest == ' ' || *rest == '\t')
            rest++;
        if (*rest == 0 || *rest == ';')
            return types[i].name;
    }
    return NULL;
}

int media_type_matches(const char *media_type, const unsigned char *bytes, size_t len)
{
    const struct media_type *t = media_type ? find(media_type) : NULL;
    if (!t || !bytes || len < t->offset + t->signature_len)
        return 0;
    return memcmp(bytes + t->offset, t->signature, t->signature_len) == 0;
}

const char *media_type_extension(const char *media_type)
{
    const struct media_type *t = media_type ? find(media_type) : NULL;
    return t ? t->extension : "bin";
}
