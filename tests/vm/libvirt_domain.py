#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""libvirt_domain.py - an examples/libvirt domain, booted as the VM harness
would boot it (tests/vm/test_libvirt.sh).

  libvirt_domain.py EXAMPLE.xml GUEST_ENV NAME [KEY=VALUE...] >DOMAIN.xml

GUEST_ENV is `tests/vm/run.sh --prepare DIR`'s DIR/guest.env (DIR/shares
next to it). The example's
interface, memory backing and qemu:override stay as written; what changes:
the name; <os> becomes the harness's kernel, initrd and command line; the
harness's shares become <filesystem> elements (9p, the tags its init
mounts); the serial console goes to the file serial=PATH; under TCG the
domain type is qemu and, for a vhostuser interface, vectors=0 joins the
override (QEMU 7.2 crashes at driver start with MSI-X under TCG). KEY=VALUE:
tap=NAME (an ethernet interface's target), socket=PATH (a vhostuser
interface's source), mac=MAC, memory=MiB, serial=PATH.
"""
import shlex
import sys
import xml.etree.ElementTree as ET

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
ET.register_namespace("qemu", QEMU_NS)


def q(tag):
    return "{%s}%s" % (QEMU_NS, tag)


def guest_env(path):
    env = {}
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("=")
        env[k] = " ".join(shlex.split(v))
    return env


def main():
    example, envfile, name = sys.argv[1:4]
    opts = dict(a.split("=", 1) for a in sys.argv[4:])
    env = guest_env(envfile)
    dom = ET.parse(example).getroot()
    dom.find("name").text = name
    if env["ACCEL"] == "tcg":
        dom.set("type", "qemu")
    if "memory" in opts:
        mem = dom.find("memory")
        mem.set("unit", "MiB")
        mem.text = opts["memory"]
    os_ = dom.find("os")
    for tag, val in (("kernel", env["KERNEL"]), ("initrd", env["INITRD"]),
                     ("cmdline", env["APPEND"])):
        el = os_.find(tag)
        if el is None:
            el = ET.SubElement(os_, tag)
        el.text = val
    # The guest powers off when its job is done; the domain then goes.
    dom.find("on_reboot").text = "destroy"
    devices = dom.find("devices")
    iface = devices.find("interface")
    if "mac" in opts:
        iface.find("mac").set("address", opts["mac"])
    if "tap" in opts:
        iface.find("target").set("dev", opts["tap"])
    if "socket" in opts:
        iface.find("source").set("path", opts["socket"])
    for el in devices.findall("serial") + devices.findall("console"):
        devices.remove(el)
    serial = ET.SubElement(devices, "serial", type="file")
    ET.SubElement(serial, "source", path=opts["serial"])
    for line in open(envfile.rsplit("/", 1)[0] + "/shares"):
        line = line.rstrip("\n")
        tag, rest = line.split(" ", 1)
        path, mode = rest.rsplit(" ", 1)
        fs = ET.SubElement(devices, "filesystem", type="mount",
                           accessmode="squash", multidevs="remap")
        ET.SubElement(fs, "source", dir=path)
        ET.SubElement(fs, "target", dir=tag)
        if mode == "ro":
            ET.SubElement(fs, "readonly")
    if env["ACCEL"] == "tcg" and iface.get("type") == "vhostuser":
        ov = dom.find(q("override"))
        if ov is None:
            ov = ET.SubElement(dom, q("override"))
        dev = ov.find(q("device"))
        if dev is None:
            dev = ET.SubElement(ov, q("device"), alias="net0")
        fe = dev.find(q("frontend"))
        if fe is None:
            fe = ET.SubElement(dev, q("frontend"))
        ET.SubElement(fe, q("property"), name="vectors", type="unsigned",
                      value="0")
    ET.ElementTree(dom).write(sys.stdout, encoding="unicode")
    print()


if __name__ == "__main__":
    main()
