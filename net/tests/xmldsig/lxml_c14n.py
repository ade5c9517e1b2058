"""Writes libxml2's canonical forms (through lxml) of each file listed in argv[2] into argv[1]:
N.c14n, N.c14nc, N.exc, N.excc for the whole document; N.excp for exclusive C14N with the
InclusiveNamespaces PrefixList "xsi ns1" (lxml does not translate "#default", so that one is
checked through xmlsec1 instead); N.sub.<mode> for the subtree of the last child
element of the root (only the exclusive ones are compared: lxml's inclusive subtree is wrong); N.err
when libxml2 refuses the file."""
import os
import sys

from lxml import etree

out = sys.argv[1]
files = [l.rstrip("\n") for l in open(sys.argv[2])]
parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
modes = [("c14n", False, False), ("c14nc", False, True), ("exc", True, False), ("excc", True, True)]
for i, f in enumerate(files):
    try:
        doc = etree.parse(f, parser)
    except Exception as e:
        open(os.path.join(out, f"{i}.err"), "w").write(type(e).__name__)
        continue
    for name, excl, com in modes:
        with open(os.path.join(out, f"{i}.{name}"), "wb") as o:
            o.write(etree.tostring(doc, method="c14n", exclusive=excl, with_comments=com))
    with open(os.path.join(out, f"{i}.excp"), "wb") as o:
        o.write(etree.tostring(doc, method="c14n", exclusive=True, with_comments=False,
                               inclusive_ns_prefixes=["xsi", "ns1"]))
    children = [c for c in doc.getroot() if isinstance(c.tag, str)]
    if children:
        for name, excl, com in modes:
            with open(os.path.join(out, f"{i}.sub.{name}"), "wb") as o:
                o.write(etree.tostring(children[-1], method="c14n", exclusive=excl, with_comments=com))
