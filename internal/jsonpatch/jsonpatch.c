#include "jsonpatch.h"

void json_merge_patch(json_t *target, const json_t *patch)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v)
    {
        json_t *cur = json_object_get(target, key);
        if (json_is_null(v))
            json_object_del(target, key);
        else if (json_is_object(v) && json_is_object(cur))
            json_merge_patch(cur, v);
        else
            json_object_set(target, key, v);
    }
}

void json_strip_nulls(json_t *obj)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, v)
    {
        if (json_is_null(v))
            json_object_del(obj, key);
        else if (json_is_object(v))
            json_strip_nulls(v);
    }
}

json_t *json_merge_members(const json_t *current, const char *const *members, const json_t *patch)
{
    json_t *doc = json_object();
    for (; doc && *members; members++)
        if (json_object_get(current, *members))
            json_object_set_new(doc, *members, json_deep_copy(json_object_get(current, *members)));
    json_strip_nulls(doc);
    json_merge_patch(doc, patch);
    return doc;
}
