#!/usr/bin/env python3
"""Closes a process's top-level windows the way a window manager's close
button does: a WM_DELETE_WINDOW client message (Xvfb runs no window manager,
and killing the window would kill the app's whole X connection).

Usage: close_window.py PID [list]. Prints one line per visible top-level window
of PID ("<id> <title>"); closes them unless "list" is given.
"""
import sys

from Xlib import X, Xatom, display, protocol


def main():
    pid = int(sys.argv[1])
    only_list = len(sys.argv) > 2 and sys.argv[2] == "list"
    d = display.Display()
    root = d.screen().root
    net_pid = d.intern_atom("_NET_WM_PID")
    net_name, utf8 = d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING")
    protocols, delete = d.intern_atom("WM_PROTOCOLS"), d.intern_atom("WM_DELETE_WINDOW")
    for w in root.query_tree().children:
        try:
            prop = w.get_full_property(net_pid, Xatom.CARDINAL)
            if not prop or prop.value[0] != pid:
                continue
            if w.get_attributes().map_state != X.IsViewable:
                continue
            name = w.get_full_property(net_name, utf8)
            title = name.value if name else ""
            if isinstance(title, bytes):
                title = title.decode("utf-8", "replace")
        except Exception:  # a window that went away meanwhile
            continue
        print(f"{w.id} {title}", flush=True)
        if not only_list:
            w.send_event(
                protocol.event.ClientMessage(
                    window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
                ),
                event_mask=X.NoEventMask,
            )
    d.flush()


if __name__ == "__main__":
    main()
