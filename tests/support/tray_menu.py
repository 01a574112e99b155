#!/usr/bin/env python3
"""Reads or clicks a tray icon's menu over D-Bus, as a panel would.

    tray_menu.py ITEM dump          prints one line per entry: id<TAB>enabled<TAB>label
    tray_menu.py ITEM click LABEL   clicks the entry with that label
    tray_menu.py ITEM tooltip       prints the icon's tooltip: title<TAB>text
    tray_menu.py ITEM activate      left-clicks the icon (the host's Activate)

ITEM is "busname/object/path" as written by sni_watcher.py.
"""
import sys

import dbus


def layout(menu):
    _rev, root = menu.GetLayout(0, -1, dbus.Array([], signature="s"))
    out = []

    def walk(node):
        ident, props, children = node
        if "label" in props:
            enabled = bool(props.get("enabled", True))
            out.append((int(ident), enabled, str(props["label"]).replace("_", "")))
        for child in children:
            walk(child)

    walk(root)
    return out


def main():
    item, action = sys.argv[1], sys.argv[2]
    bus_name, _, path = item.partition("/")
    bus = dbus.SessionBus()
    obj = bus.get_object(bus_name, "/" + path)
    props = dbus.Interface(obj, dbus.PROPERTIES_IFACE)
    if action == "tooltip":
        _icon, _pixmaps, title, text = props.Get("org.kde.StatusNotifierItem", "ToolTip")
        print(f"{title}\t{text}")
        return 0
    if action == "activate":
        item_iface = dbus.Interface(obj, "org.kde.StatusNotifierItem")
        item_iface.Activate(dbus.Int32(0), dbus.Int32(0))
        return 0
    menu_path = props.Get("org.kde.StatusNotifierItem", "Menu")
    menu = dbus.Interface(bus.get_object(bus_name, menu_path), "com.canonical.dbusmenu")
    entries = layout(menu)
    if action == "dump":
        for ident, enabled, label in entries:
            print(f"{ident}\t{int(enabled)}\t{label}")
        return 0
    if action == "click":
        for ident, _enabled, label in entries:
            if label == sys.argv[3]:
                try:
                    menu.Event(ident, "clicked", dbus.Int32(0, variant_level=1), dbus.UInt32(0))
                except dbus.exceptions.DBusException as e:
                    # An app that quits on this click may leave the bus before it
                    # replies; a panel sees the same and carries on. The caller
                    # checks that the app really ended.
                    if e.get_dbus_name() != "org.freedesktop.DBus.Error.NoReply":
                        raise
                    print(f"{label}: the app left the bus without replying", file=sys.stderr)
                return 0
        print(f"no entry labelled {sys.argv[3]!r}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
