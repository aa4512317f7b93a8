#!/usr/bin/python3
# A stand-in for logind (org.freedesktop.login1) on a private bus that a test passes to the agent as
# its system bus: logind itself cannot run in a test. It implements only what the agent reads: the
# manager's GetSession, GetUser and PrepareForSleep, the user's Display, and one session's Active and
# LockedHint with PropertiesChanged, as logind sends them. The test drives it through the extra
# interface org.devicecred.TestLogind: SetLocked(b), SetActive(b), Sleep() (PrepareForSleep true, then
# false). Prints "ready" once it owns the name.
import argparse
import os
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

SESSION_ID = "7"
MANAGER = "/org/freedesktop/login1"
SESSION = "/org/freedesktop/login1/session/_37"
USER = "/org/freedesktop/login1/user/_%d" % os.getuid()

XML = """
<node>
  <interface name="org.freedesktop.login1.Manager">
    <method name="GetSession"><arg type="s" direction="in"/><arg type="o" direction="out"/></method>
    <method name="GetUser"><arg type="u" direction="in"/><arg type="o" direction="out"/></method>
    <signal name="PrepareForSleep"><arg type="b"/></signal>
  </interface>
  <interface name="org.freedesktop.login1.User">
    <property name="Display" type="(so)" access="read"/>
  </interface>
  <interface name="org.freedesktop.login1.Session">
    <property name="Active" type="b" access="read"/>
    <property name="LockedHint" type="b" access="read"/>
  </interface>
  <interface name="org.devicecred.TestLogind">
    <method name="SetLocked"><arg type="b" direction="in"/></method>
    <method name="SetActive"><arg type="b" direction="in"/></method>
    <method name="Sleep"/>
  </interface>
</node>
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--locked", action="store_true")
    parser.add_argument("--inactive", action="store_true")
    parser.add_argument("--no-display", action="store_true", help="the user has no graphical session")
    args = parser.parse_args()
    state = {"Active": not args.inactive, "LockedHint": args.locked}
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    connection = Gio.DBusConnection.new_for_address_sync(
        args.address,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)

    def changed(name):
        connection.emit_signal(
            None, SESSION, "org.freedesktop.DBus.Properties", "PropertiesChanged",
            GLib.Variant("(sa{sv}as)", ("org.freedesktop.login1.Session", {name: GLib.Variant("b", state[name])}, [])))

    def method(conn, sender, path, interface, name, params, invocation):
        if name == "GetSession":
            if params.unpack()[0] == SESSION_ID:
                invocation.return_value(GLib.Variant("(o)", (SESSION,)))
            else:
                invocation.return_dbus_error("org.freedesktop.login1.NoSuchSession", "no such session")
        elif name == "GetUser":
            invocation.return_value(GLib.Variant("(o)", (USER,)))
        elif name in ("SetLocked", "SetActive"):
            key = "LockedHint" if name == "SetLocked" else "Active"
            state[key] = params.unpack()[0]
            changed(key)
            invocation.return_value(None)
        elif name == "Sleep":
            for going in (True, False):
                conn.emit_signal(None, MANAGER, "org.freedesktop.login1.Manager", "PrepareForSleep",
                                 GLib.Variant("(b)", (going,)))
            invocation.return_value(None)

    def get_property(conn, sender, path, interface, name):
        if interface == "org.freedesktop.login1.User":
            return GLib.Variant("(so)", ("", "/") if args.no_display else (SESSION_ID, SESSION))
        return GLib.Variant("b", state[name])

    manager = [node.lookup_interface("org.freedesktop.login1.Manager"),
               node.lookup_interface("org.devicecred.TestLogind")]
    for interface in manager:
        connection.register_object(MANAGER, interface, method, None, None)
    connection.register_object(USER, node.lookup_interface("org.freedesktop.login1.User"), None, get_property, None)
    connection.register_object(
        SESSION, node.lookup_interface("org.freedesktop.login1.Session"), None, get_property, None)
    loop = GLib.MainLoop()

    def acquired(*_):
        print("ready", flush=True)

    Gio.bus_own_name_on_connection(connection, "org.freedesktop.login1", Gio.BusNameOwnerFlags.NONE, acquired,
                                   lambda *_: loop.quit())
    loop.run()


if __name__ == "__main__":
    sys.exit(main())
