/* jsonpatch: RFC 7386 JSON merge patch, shared by every PATCH handler that
 * merges a request into a stored document before validating the result. */
#ifndef CSO_JSONPATCH_H
#define CSO_JSONPATCH_H

#include <jansson.h>

/* Applies patch to target in place: a null member removes it, objects merge
 * recursively, anything else replaces. patch is not modified. */
void json_merge_patch(json_t *target, const json_t *patch);

/* Removes null members from obj and from every object nested in it, so a
 * stored representation can be merged and validated as if freshly sent. */
void json_strip_nulls(json_t *obj);

/* The document an edit would leave: the members of current named in
 * members (a NULL-terminated list: the writable ones; the rest are the
 * server's), without nulls, with patch merged in. A new object the caller
 * frees; current and patch are not modified. */
json_t *json_merge_members(const json_t *current, const char *const *members, const json_t *patch);

#endif
