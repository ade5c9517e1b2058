import sys, os
from lxml import etree
out = sys.argv[1]
files = [l.rstrip("\n") for l in open(sys.argv[2])]
p = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)
for i, f in enumerate(files):
    try:
        doc = etree.parse(f, p)
    except Exception as e:
        open(os.path.join(out, f"{i}.err"), "w").write(type(e).__name__)
        continue
    for name, excl, com in [("c14n", False, False), ("c14nc", False, True), ("exc", True, False), ("excc", True, True)]:
        open(os.path.join(out, f"{i}.{name}"), "wb").write(etree.tostring(doc, method="c14n", exclusive=excl, with_comments=com))
