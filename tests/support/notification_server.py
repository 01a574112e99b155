#!/usr/bin/env python3
"""A desktop notification server for the desktop tests, and the user who
clicks its buttons.

    notification_server.py serve LOG [--no-actions]
        owns org.freedesktop.Notifications on the session bus, as dunst or
        GNOME Shell does, and writes one JSON line to LOG per event:
          {"event": "notify", "id", "app_name", "summary", "body",
           "actions": [[key, label], ...], "expire_timeout"}
          {"event": "invoked", "id", "key"}
          {"event": "closed", "id", "reason"}
        It advertises the "actions" capability (not with --no-actions), and
        closes a notification when its timeout ends (NotificationClosed,
        reason 1), when the client asks (reason 3) or after an action
        (reason 2), as the specification says. "ready" is printed on stdout
        once the name is owned.

    notification_server.py invoke ID KEY
        clicks the action KEY of notification ID (KEY "default" is a click on
        the notification itself): the server emits ActionInvoked(ID, KEY) on
        /org/freedesktop/Notifications, as a real server does, then closes
        the notification. Refused (exit 1) when the notification is not shown
        or does not offer KEY, as no user could click it then.
"""
import json
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"
# The test's own hand on the server: what a click on a button does.
TEST_IFACE = "org.statustracker.TestNotifications"
# What a server does with expire_timeout -1 (dunst's default is 10 s).
DEFAULT_TIMEOUT_MS = 10_000

EXPIRED, DISMISSED, CLOSED_BY_CALL = 1, 2, 3


class Server(dbus.service.Object):
    def __init__(self, bus, log_path, actions):
        self.log_path = log_path
        self.capabilities = ["body", "icon-static"] + (["actions"] if actions else [])
        self.next_id = 1
        # id -> (the action keys it offers, its expiry timer or None)
        self.shown = {}
        self.bus_name = dbus.service.BusName(NAME, bus, do_not_queue=True)
        super().__init__(self.bus_name, PATH)

    def log(self, entry):
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    @dbus.service.method(IFACE, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return dbus.Array(self.capabilities, signature="s")

    @dbus.service.method(IFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("status-tracker-test-notifications", "status-tracker", "1.0", "1.2")

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout):
        if replaces_id and replaces_id in self.shown:
            nid = int(replaces_id)
            self.forget(nid)
        else:
            nid = self.next_id
            self.next_id += 1
        pairs = [[str(actions[i]), str(actions[i + 1])] for i in range(0, len(actions) - 1, 2)]
        # A server without the capability shows no buttons.
        keys = [k for k, _ in pairs] if "actions" in self.capabilities else []
        timeout = DEFAULT_TIMEOUT_MS if expire_timeout < 0 else int(expire_timeout)
        timer = GLib.timeout_add(timeout, self.expire, nid) if timeout > 0 else None
        self.shown[nid] = (keys, timer)
        self.log({
            "event": "notify",
            "id": nid,
            "app_name": str(app_name),
            "summary": str(summary),
            "body": str(body),
            "actions": pairs,
            "expire_timeout": int(expire_timeout),
        })
        return dbus.UInt32(nid)

    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        if int(nid) in self.shown:
            self.close(int(nid), CLOSED_BY_CALL)

    @dbus.service.signal(IFACE, signature="us")
    def ActionInvoked(self, nid, key):
        pass

    @dbus.service.signal(IFACE, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass

    @dbus.service.method(TEST_IFACE, in_signature="us", out_signature="")
    def Invoke(self, nid, key):
        nid, key = int(nid), str(key)
        if nid not in self.shown:
            raise dbus.exceptions.DBusException(f"notification {nid} is not shown")
        if key not in self.shown[nid][0]:
            raise dbus.exceptions.DBusException(
                f"notification {nid} offers no action {key!r}: {self.shown[nid][0]}"
            )
        self.log({"event": "invoked", "id": nid, "key": key})
        self.ActionInvoked(dbus.UInt32(nid), key)
        self.close(nid, DISMISSED)

    def expire(self, nid):
        if nid in self.shown:
            self.shown[nid] = (self.shown[nid][0], None)
            self.close(nid, EXPIRED)
        return False

    def forget(self, nid):
        _keys, timer = self.shown.pop(nid)
        if timer is not None:
            GLib.source_remove(timer)

    def close(self, nid, reason):
        self.forget(nid)
        self.log({"event": "closed", "id": nid, "reason": reason})
        self.NotificationClosed(dbus.UInt32(nid), dbus.UInt32(reason))


def serve(log_path, actions):
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    open(log_path, "w").close()
    try:
        Server(bus, log_path, actions)
    except dbus.exceptions.NameExistsException:
        owner = bus.get_name_owner(NAME)
        sys.exit(f"another notification server ({owner}) owns {NAME}")
    print("ready", flush=True)
    GLib.MainLoop().run()


def invoke(nid, key):
    server = dbus.SessionBus().get_object(NAME, PATH)
    try:
        server.Invoke(dbus.UInt32(int(nid)), key, dbus_interface=TEST_IFACE)
    except dbus.exceptions.DBusException as e:
        sys.exit(f"invoke {key} on {nid}: {e.get_dbus_message()}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2], "--no-actions" not in sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[1] == "invoke":
        invoke(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
