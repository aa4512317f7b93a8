// libsecret (and the GLib/GIO it brings). Variadic GLib constructors and the key schema, a static C
// struct, are wrapped here so the Swift side only calls plain functions.
#ifndef C_DEVICE_CREDENTIAL_SECRET_SHIM_H
#define C_DEVICE_CREDENTIAL_SECRET_SHIM_H

#include <gio/gio.h>
#include <libsecret/secret.h>

/// The documented schema of DeviceCredential's key items (see Docs/security.md).
static inline const SecretSchema *dc_key_schema(void) {
    static const SecretSchema schema = {
        "io.github.devicecredential.Key",
        SECRET_SCHEMA_NONE,
        {
            {"profile", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {"tenant", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {"api-url", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {"namespace", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {"key-kind", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {NULL, 0},
        },
    };
    return &schema;
}

/// A string -> string table that owns (and frees) its keys and values.
static inline GHashTable *dc_string_table_new(void) {
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static inline void dc_string_table_insert(GHashTable *table, const char *key, const char *value) {
    g_hash_table_insert(table, g_strdup(key), g_strdup(value));
}

static inline void dc_g_object_unref(void *object) { g_object_unref(object); }

static inline void dc_g_list_free_objects(GList *list) { g_list_free_full(list, g_object_unref); }

#endif
