#!/usr/bin/env python3
"""Batch validation of CDA documents against the ANS testContenuCDA kit.

usage: validate_batch.py [--content-models] KIT_DIR FILE.xml [FILE.xml ...]

Same checks and verdicts as shared/tools/cda-validate (XSD CDA_extended.xsd with xmllint, the
structuration minimale schematron always, the volet schematron chosen by templateId), but each
schematron is compiled once and xmllint runs once for the whole batch, so hundreds of
documents validate in minutes instead of hours. The schematron compilation and the failed-assert
extraction are imported from cda-validate itself, so both tools agree by construction.

With --content-models, the generic content-model profile
(profils/CI-SIS_ModelesDeContenusCDA.sch: entry templates such as the author participation)
runs on every file but eDISP-MED ones too, less one assert whose test contradicts its own
message (KIT_DEFECTS below); cda-validate does not run it.

Prints one line per file (PASS/FAIL ...) then `kit: N passed, M failed`; exit 1 on any FAIL.
"""
import importlib.machinery, importlib.util, os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONTENT_MODELS = "profils/CI-SIS_ModelesDeContenusCDA.sch"
EDISP = "1.2.250.1.213.1.1.1.54"
# Kit defect, content-model profile only: E_immunizations_fr's entryRelationship assert looks for
# a reaction (CAUS) as an `act` with templateId 2.16.840.1.113883.10.20.1.28, while its own message
# and the VAC-NOTE volet's FR-Probleme make it an `observation`: an entry whose only
# entryRelationship is a reaction fails it (with a rank or a comment beside it, it passes).
KIT_DEFECTS = {
    CONTENT_MODELS: ["[E_immunizations_fr] Erreur de conformité CI-SIS : Dans une entrée 'Immunization', "
                     "les éléments 'entryRelationship' ne sont pas obligatoires"],
}


def load_cda_validate():
    shared = os.environ.get("SEGUR_SHARED") or os.path.join(HERE, "..", "..", "..", "..", "shared")
    path = os.path.join(shared, "tools", "cda-validate")
    loader = importlib.machinery.SourceFileLoader("cda_validate", path)
    spec = importlib.util.spec_from_loader("cda_validate", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def xsd_errors(xsd, files):
    """xmllint on the whole batch; errors attributed to files by their path prefix."""
    errs = {f: [] for f in files}
    for i in range(0, len(files), 200):
        chunk = files[i:i + 200]
        r = subprocess.run(["xmllint", "--noout", "--schema", xsd] + chunk, capture_output=True, text=True)
        for line in r.stderr.splitlines():
            if "validates" in line or "parser warning" in line or line.startswith(" "):
                continue
            owner = next((f for f in chunk if line.startswith(f + ":") or line.startswith(f + " ")), None)
            if owner is None:
                owner = chunk[0]
            if line.startswith(owner + " fails to validate"):
                continue
            errs[owner].append(line)
    return errs


def main():
    args = sys.argv[1:]
    content_models = bool(args) and args[0] == "--content-models"
    if content_models:
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    cv = load_cda_validate()
    kit = cv.writable_kit(args[0])
    files = [os.path.abspath(f) for f in args[1:]]
    xsd = os.path.join(kit, "infrastructure", "cda", "CDA_extended.xsd")
    xsd_by_file = xsd_errors(xsd, files)
    sch_by_file = {f: [cv.STRUCMIN] + [v for k, v in cv.VOLETS.items()
                                        if f'root="{k}"' in open(f, encoding="utf-8", errors="replace").read()]
                   for f in files}
    if content_models:
        for f in files:
            # Not on eDISP-MED: the profile's E_supplyEntry_fr wants FR-Notes-du-dispensateur on
            # every dispensed line with another entryRelationship, which the eDISP-MED volet
            # does not require (whether the DMP applies it is TO VERIFY; see the README).
            if f'root="{EDISP}"' not in open(f, encoding="utf-8", errors="replace").read():
                sch_by_file[f].append(CONTENT_MODELS)
    results = {f: [] for f in files}
    from saxonche import PySaxonProcessor
    with PySaxonProcessor(license=False) as proc:
        needed = sorted({s for l in sch_by_file.values() for s in l})
        for s in needed:
            xsl = cv.compile_sch(proc, kit, s)
            sch_dir = os.path.dirname(os.path.join(kit, "schematrons", s))
            ex = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=xsl)
            ex.set_cwd(sch_dir)
            for f in files:
                if s not in sch_by_file[f]:
                    continue
                svrl = ex.transform_to_string(source_file=f)
                fails = re.findall(r'<svrl:failed-assert[^>]*?(?:role="([^"]*)")?[^>]*>.*?<svrl:text>(.*?)</svrl:text>', svrl, re.S)
                errs = [" ".join(t.split()) for role, t in fails if role.lower() not in ("warning", "info", "information")]
                errs = [e[:160] for e in errs if not any(e.startswith(d) for d in KIT_DEFECTS.get(s, []))]
                results[f].append((os.path.basename(s), errs))
    bad = 0
    for f in files:
        total = len(xsd_by_file[f]) + sum(len(e) for _, e in results[f])
        verdict = "PASS" if total == 0 else "FAIL"
        bad += total > 0
        print(f"{verdict} {os.path.basename(f)} xsd={len(xsd_by_file[f])} " + " ".join(f"{n}={len(e)}" for n, e in results[f]))
        for line in xsd_by_file[f][:5]:
            print("   ! xsd: " + line[:200])
        for _, errs in results[f]:
            for e in errs[:5]:
                print("   ! " + e)
    print(f"kit: {len(files) - bad} passed, {bad} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
