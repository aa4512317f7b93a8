#!/usr/bin/python3
# Unlocks the session's default keyring with its password (argv[1]), as gnome-keyring's own prompt would:
# the plain session that wraps the password must live on the same D-Bus connection as the unlock call.
import sys

import dbus

bus = dbus.SessionBus()
service = bus.get_object("org.freedesktop.secrets", "/org/freedesktop/secrets")
secrets = dbus.Interface(service, "org.freedesktop.Secret.Service")
collection = secrets.ReadAlias("default")
_, session = secrets.OpenSession("plain", dbus.String("", variant_level=1))
internal = dbus.Interface(service, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface")
password = dbus.ByteArray(sys.argv[1].encode())
internal.UnlockWithMasterPassword(collection, (session, dbus.ByteArray(b""), password, "text/plain"))
print("unlocked")
