#!/usr/bin/env python3
"""Every failed assert of the ANS testContenuCDA kit, one JSON object per line, for many documents.

usage: failed_asserts.py KIT_DIR SCHEMATRON[,SCHEMATRON...] FILE.xml [FILE.xml ...]

SCHEMATRON paths are relative to KIT_DIR/schematrons (e.g.
profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch); each runs on every file whose
text declares the templateId the schematron is for (the structuration minimale on all). Each
schematron is compiled once (with cda-validate's own compilation, so the asserts are the ones
cda-validate reports) and applied to the whole batch in one process.

Output lines: {"file": BASENAME, "sch": SCHEMATRON-BASENAME, "role": ROLE, "location": XPATH,
"text": ASSERT-TEXT}; then {"done": N} with the number of files.
Warnings are included (role "warning"): the caller decides what fails a document.
"""
import importlib.machinery, importlib.util, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Volet schematron -> the templateId that selects it (as cda-validate chooses them).
SELECT = {
    "CI-SIS_VAC-NOTE_2023.01.sch": "1.2.250.1.213.1.1.1.46",
    "CI-SIS_BIO-TROD_2024.01.sch": "1.2.250.1.213.1.1.1.59",
    "CI-SIS_eDISP-MED_2024.01.sch": "1.2.250.1.213.1.1.1.54",
}
FAILED = re.compile(r'<svrl:failed-assert([^>]*)>.*?<svrl:text>(.*?)</svrl:text>', re.S)


def load_cda_validate():
    shared = os.environ.get("SEGUR_SHARED") or os.path.join(HERE, "..", "..", "..", "..", "shared")
    path = os.path.join(shared, "tools", "cda-validate")
    loader = importlib.machinery.SourceFileLoader("cda_validate", path)
    spec = importlib.util.spec_from_loader("cda_validate", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def attr(attrs, name):
    m = re.search(name + r'="([^"]*)"', attrs)
    return m.group(1) if m else ""


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cv = load_cda_validate()
    kit = cv.writable_kit(sys.argv[1])
    schs = sys.argv[2].split(",")
    files = [os.path.abspath(f) for f in sys.argv[3:]]
    texts = {f: open(f, encoding="utf-8", errors="replace").read() for f in files}
    from saxonche import PySaxonProcessor
    with PySaxonProcessor(license=False) as proc:
        for s in schs:
            base = os.path.basename(s)
            selected = [f for f in files
                        if base not in SELECT or f'root="{SELECT[base]}"' in texts[f]]
            if not selected:
                continue
            xsl = cv.compile_sch(proc, kit, s)
            ex = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=xsl)
            ex.set_cwd(os.path.dirname(os.path.join(kit, "schematrons", s)))
            for f in selected:
                try:
                    svrl = ex.transform_to_string(source_file=f)
                except Exception as e:  # not well-formed: reported, never skipped
                    print(json.dumps({"file": os.path.basename(f), "sch": base, "role": "fatal",
                                      "location": "", "text": str(e)[:300]}), flush=True)
                    continue
                for attrs, text in FAILED.findall(svrl or ""):
                    print(json.dumps({"file": os.path.basename(f), "sch": base,
                                      "role": attr(attrs, "role") or "error",
                                      "location": attr(attrs, "location"),
                                      "text": " ".join(text.split())}, ensure_ascii=False), flush=True)
    print(json.dumps({"done": len(files)}), flush=True)


if __name__ == "__main__":
    main()
