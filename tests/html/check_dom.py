#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks a page as Chromium rendered it (--dump-dom) against `dtmem map --format json`:
every region of the map is drawn, with its exact range, and the page's script showed the
details of every region it focused.

    check_dom.py MAP.json DOM.html [PREFIX]
"""
import json
import sys
from html.parser import HTMLParser


class Items(HTMLParser):
    def __init__(self):
        super().__init__()
        self.drawn = set()  # (subject, start, end)
        self.ids = []
        self.focus_check = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "g" and "item" in a.get("class", "").split():
            self.drawn.add((a.get("data-node"), a.get("data-start"), a.get("data-end")))
            self.ids.append(a.get("id"))
        if tag == "body":
            self.focus_check = a.get("data-focus-check")


def expected(doc):
    """(subject or None for 'any', start, end) of every region the map has."""
    want = []
    for bank in doc["ram"]:
        want.append((bank["node"] or "--memory", bank["start"], bank["end"]))
    for i, r in enumerate(doc["memreserve"]):
        want.append((f"/memreserve/ #{i}", r["start"], r["end"]))
    for region in (doc["reserved_memory"] or {}).get("regions", []):
        if region["type"] != "static":
            continue
        for r in region["reg"]:
            if r["size"] and r["end"]:
                want.append((region["node"], r["start"], r["end"]))
    for r in doc["mmio"]:
        want.append((r["node"], r["start"], r["end"]))
    for device in doc["devices"]:
        for r in (device["dma_window"] or {}).get("ranges", []):
            want.append((device["node"], r["cpu_start"], r["cpu_end"]))
    p = doc["prediction"]
    if p:
        for zone in p["zones"]:
            if not zone.get("empty"):
                want.append((zone["name"], zone["start"], zone["end"]))
        for area in p["cma"]:
            want.append((None, area["base"], hex(int(area["base"], 16) + area["size"] - 1)))
        for region in p["reserved_memory"]:
            if "base" in region and "error" not in region:
                want.append((None, region["base"], hex(int(region["base"], 16) + region["size"] - 1)))
        if p["swiotlb"]:
            want.append(("swiotlb bounce buffer", p["swiotlb"]["start"], p["swiotlb"]["end"]))
        for image in p["boot_images"] + p["crashkernel"]:
            want.append((image["name"], image["start"], image["end"]))
    return want


def main():
    doc = json.load(open(sys.argv[1]))
    page = Items()
    page.feed(open(sys.argv[2], encoding="utf-8").read())
    ranges = {(start, end) for _, start, end in page.drawn}
    missing = [w for w in expected(doc)
               if (w not in page.drawn if w[0] is not None else (w[1], w[2]) not in ranges)]
    for subject, start, end in missing:
        print(f"not drawn: {subject or '(any)'} {start}-{end}")
    problems = len(missing)
    if len(set(page.ids)) != len(page.ids):
        print("item ids are not unique")
        problems += 1
    want_focus = f"{len(page.ids)}/{len(page.ids)}"
    if page.focus_check != want_focus:
        print(f"focus check: {page.focus_check}, want {want_focus}")
        problems += 1
    print(f"{sys.argv[2]}: {len(expected(doc))} regions, {len(page.ids)} items drawn, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
