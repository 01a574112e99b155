#!/usr/bin/env python3
"""A minimal StatusNotifierWatcher for the desktop tests.

Debian ships no tray host outside a desktop session: without a watcher on the
session bus, an app's tray icon never registers. This one accepts every item,
claims a host is present, and writes each registered item ("busname/path")
as a line to the file named by its first argument. Like a panel's watcher,
it forgets an item when the item's bus name loses its owner (the app quit,
crashed or replaced itself), so an item registered again under the same
name (ksni names it after the process id, which a restart in place keeps)
is a new line.
"""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.kde.StatusNotifierWatcher"


class Watcher(dbus.service.Object):
    def __init__(self, bus, out_path):
        self.items = []
        self.out_path = out_path
        self.bus_name = dbus.service.BusName(IFACE, bus)
        super().__init__(self.bus_name, "/StatusNotifierWatcher")

    @dbus.service.method(IFACE, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        item = sender + service if service.startswith("/") else service + "/StatusNotifierItem"
        if item not in self.items:
            self.items.append(item)
            with open(self.out_path, "a", encoding="utf-8") as f:
                f.write(item + "\n")
            self.StatusNotifierItemRegistered(item)

    def name_owner_changed(self, name, old_owner, new_owner):
        if new_owner:
            return
        gone = [i for i in self.items if i.split("/", 1)[0] in (name, old_owner)]
        for item in gone:
            self.items.remove(item)
            self.StatusNotifierItemUnregistered(item)

    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemUnregistered(self, item):
        pass

    @dbus.service.method(IFACE, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        pass

    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemRegistered(self, item):
        pass

    @dbus.service.signal(IFACE, signature="")
    def StatusNotifierHostRegistered(self):
        pass

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        return self.GetAll(interface)[prop]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return {
            "RegisteredStatusNotifierItems": dbus.Array(self.items, signature="s"),
            "IsStatusNotifierHostRegistered": dbus.Boolean(True),
            "ProtocolVersion": dbus.Int32(0),
        }


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    open(sys.argv[1], "w").close()
    watcher = Watcher(bus, sys.argv[1])
    bus.add_signal_receiver(
        watcher.name_owner_changed,
        signal_name="NameOwnerChanged",
        dbus_interface="org.freedesktop.DBus",
        bus_name="org.freedesktop.DBus",
        path="/org/freedesktop/DBus",
    )
    print("watcher ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
