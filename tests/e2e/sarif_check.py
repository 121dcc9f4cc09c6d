#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validation of a SARIF 2.1.0 log, for tests/e2e/gate.sh.

Two layers:

1. The official OASIS SARIF 2.1.0 JSON schema (--schema FILE), when the
   Python jsonschema module is importable.  No Debian package ships the
   schema; tests/e2e/sarif-schema-2.1.0.json is the copy published in the
   npm package @microsoft/jest-sarif 1.0.0-beta.0 (MIT), file
   lib/schemas/sarif-2.1.0-rtm.5.json ("2.1.0-rtm.5" is the final 2.1.0
   schema).  Without jsonschema this layer is skipped and says so.
2. Always: a structural check of what the schema requires of the objects
   hbtrace writes: required properties, enums, value ranges, no property
   the schema does not define (its objects are closed with
   additionalProperties: false), plus what a schema cannot say: the
   cross-references (ruleIndex -> rules[ruleIndex].id == ruleId), a help
   text per rule, a fingerprint per result.

usage: sarif_check.py FILE [--schema SCHEMA] [--expect-results N]
                      [--expect-rule ID]...
Prints "ok (...)" or the problems found (one a line) and exits 1.
"""
import json
import re
import sys

ALLOWED = {
    "sarifLog": {"$schema", "version", "runs", "inlineExternalProperties",
                 "properties"},
    "run": {"tool", "invocations", "conversion", "language",
            "versionControlProvenance", "originalUriBaseIds", "artifacts",
            "logicalLocations", "graphs", "results", "automationDetails",
            "runAggregates", "baselineGuid", "redactionTokens",
            "defaultEncoding", "defaultSourceLanguage", "newlineSequences",
            "columnKind", "externalPropertyFileReferences",
            "threadFlowLocations", "taxonomies", "addresses", "translations",
            "policies", "webRequests", "webResponses", "specialLocations",
            "properties"},
    "tool": {"driver", "extensions", "properties"},
    "toolComponent": {"guid", "name", "organization", "product",
                      "productSuite", "shortDescription", "fullDescription",
                      "fullName", "version", "semanticVersion",
                      "dottedQuadFileVersion", "releaseDateUtc",
                      "downloadUri", "informationUri",
                      "globalMessageStrings", "notifications", "rules",
                      "taxa", "locations", "language", "contents",
                      "isComprehensive", "localizedDataSemanticVersion",
                      "minimumRequiredLocalizedDataSemanticVersion",
                      "associatedComponent", "translationMetadata",
                      "supportedTaxonomies", "properties"},
    "reportingDescriptor": {"id", "deprecatedIds", "guid", "deprecatedGuids",
                            "name", "deprecatedNames", "shortDescription",
                            "fullDescription", "messageStrings",
                            "defaultConfiguration", "helpUri", "help",
                            "relationships", "properties"},
    "reportingConfiguration": {"enabled", "level", "rank", "parameters",
                               "properties"},
    "multiformatMessageString": {"text", "markdown", "properties"},
    "message": {"text", "markdown", "id", "arguments", "properties"},
    "result": {"ruleId", "ruleIndex", "rule", "kind", "level", "message",
               "analysisTarget", "locations", "guid", "correlationGuid",
               "occurrenceCount", "partialFingerprints", "fingerprints",
               "stacks", "codeFlows", "graphs", "graphTraversals",
               "relatedLocations", "suppressions", "baselineState", "rank",
               "attachments", "hostedViewerUri", "workItemUris",
               "provenance", "fixes", "taxa", "webRequest", "webResponse",
               "properties"},
    "location": {"id", "physicalLocation", "logicalLocations", "message",
                 "annotations", "relationships", "properties"},
    "physicalLocation": {"address", "artifactLocation", "region",
                         "contextRegion", "properties"},
    "artifactLocation": {"uri", "uriBaseId", "index", "description",
                         "properties"},
    "region": {"startLine", "startColumn", "endLine", "endColumn",
               "charOffset", "charLength", "byteOffset", "byteLength",
               "snippet", "message", "sourceLanguage", "properties"},
    "logicalLocation": {"name", "index", "fullyQualifiedName",
                        "decoratedName", "parentIndex", "kind", "properties"},
    "codeFlow": {"message", "threadFlows", "properties"},
    "threadFlow": {"id", "message", "initialState", "immutableState",
                   "locations", "properties"},
    "threadFlowLocation": {"index", "location", "stack", "kinds", "taxa",
                           "module", "state", "nestingLevel",
                           "executionOrder", "executionTimeUtc",
                           "importance", "webRequest", "webResponse",
                           "properties"},
    "stack": {"message", "frames", "properties"},
    "stackFrame": {"location", "module", "threadId", "parameters",
                   "properties"},
    "suppression": {"guid", "kind", "status", "justification", "location",
                    "properties"},
    "invocation": {"commandLine", "arguments", "responseFiles", "startTimeUtc",
                   "endTimeUtc", "exitCode", "ruleConfigurationOverrides",
                   "notificationConfigurationOverrides",
                   "toolExecutionNotifications",
                   "toolConfigurationNotifications", "exitCodeDescription",
                   "exitSignalName", "exitSignalNumber", "processStartFailureMessage",
                   "executionSuccessful", "machine", "account", "processId",
                   "executableLocation", "workingDirectory",
                   "environmentVariables", "stdin", "stdout", "stderr",
                   "stdoutStderr", "properties"},
    "artifact": {"description", "location", "parentIndex", "offset",
                 "length", "roles", "mimeType", "contents", "encoding",
                 "sourceLanguage", "hashes", "lastModifiedTimeUtc",
                 "properties"},
}
LEVELS = {"none", "note", "warning", "error"}
KINDS = {"notApplicable", "pass", "fail", "review", "open", "informational"}
SUPPRESSION_KINDS = {"inSource", "external"}
ROLES = {"analysisTarget", "attachment", "responseFile", "resultFile",
         "standardStream", "tracedFile", "unmodified", "modified", "added",
         "deleted", "renamed", "uncontrolled", "driver", "extension",
         "translation", "taxonomy", "policy", "referencedOnCommandLine",
         "memoryContents", "directory", "userSpecifiedConfiguration",
         "toolSpecifiedConfiguration", "debugOutputFile"}
URI_RE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")

problems = []


def bad(path, what):
    problems.append(f"{path}: {what}")


def obj(v, kind, path, required=()):
    """Check one object; False (don't look inside) if it is unusable."""
    if not isinstance(v, dict):
        bad(path, f"{kind} must be an object")
        return False
    for k in v:
        if k not in ALLOWED[kind]:
            bad(path, f"property '{k}' not allowed in {kind}")
    complete = True
    for k in required:
        if k not in v:
            bad(path, f"{kind} lacks required '{k}'")
            complete = False
    if "properties" in v and not isinstance(v["properties"], dict):
        bad(path, "properties must be an object")
    return complete


def int_min(v, lo, path):
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        bad(path, f"must be an integer >= {lo}")


def message(v, path, kind="message"):
    if obj(v, kind, path):
        if kind == "message" and "text" not in v and "id" not in v:
            bad(path, "message needs text or id")
        if kind == "multiformatMessageString" and "text" not in v:
            bad(path, "multiformatMessageString lacks required 'text'")
        if "text" in v and not isinstance(v["text"], str):
            bad(path, "text must be a string")


def artifact_location(v, path):
    if obj(v, "artifactLocation", path):
        if "uri" in v and (not isinstance(v["uri"], str) or
                           not URI_RE.match(v["uri"])):
            bad(path, f"uri {v.get('uri')!r} is not a URI reference")
        if "uriBaseId" in v and not isinstance(v["uriBaseId"], str):
            bad(path, "uriBaseId must be a string")


def location(v, path):
    if not obj(v, "location", path):
        return
    if "physicalLocation" in v:
        p = v["physicalLocation"]
        if obj(p, "physicalLocation", path + ".physicalLocation"):
            if "artifactLocation" not in p and "address" not in p:
                bad(path, "physicalLocation needs artifactLocation or address")
            if "artifactLocation" in p:
                artifact_location(p["artifactLocation"],
                                  path + ".physicalLocation.artifactLocation")
            if "region" in p:
                r = p["region"]
                if obj(r, "region", path + ".region"):
                    if "startLine" in r:
                        int_min(r["startLine"], 1, path + ".region.startLine")
    for i, ll in enumerate(v.get("logicalLocations", [])):
        obj(ll, "logicalLocation", f"{path}.logicalLocations[{i}]")
    if "message" in v:
        message(v["message"], path + ".message")


def check(log, expect_results, expect_rules):
    if not obj(log, "sarifLog", "$", ("version", "runs")):
        return
    if log.get("version") != "2.1.0":
        bad("$.version", "must be \"2.1.0\"")
    runs = log.get("runs")
    if not isinstance(runs, list) or not runs:
        bad("$.runs", "must be a non-empty array")
        return
    for ri, run in enumerate(runs):
        rp = f"$.runs[{ri}]"
        if not obj(run, "run", rp, ("tool",)):
            continue
        tool = run["tool"]
        rules = []
        if obj(tool, "tool", rp + ".tool", ("driver",)):
            d = tool["driver"]
            if obj(d, "toolComponent", rp + ".tool.driver", ("name",)):
                rules = d.get("rules", [])
                ids = set()
                for i, r in enumerate(rules):
                    p = f"{rp}.tool.driver.rules[{i}]"
                    if obj(r, "reportingDescriptor", p, ("id",)):
                        if r["id"] in ids:
                            bad(p, f"duplicate rule id {r['id']}")
                        ids.add(r["id"])
                        for m in ("shortDescription", "fullDescription",
                                  "help"):
                            if m in r:
                                message(r[m], f"{p}.{m}",
                                        "multiformatMessageString")
                        if "help" not in r:
                            bad(p, "rule has no help text")
                        dc = r.get("defaultConfiguration")
                        if dc is not None and obj(dc, "reportingConfiguration",
                                                  p + ".defaultConfiguration"):
                            if dc.get("level", "warning") not in LEVELS:
                                bad(p, "bad defaultConfiguration.level")
                for rid in expect_rules:
                    if rid not in ids:
                        bad(rp, f"no rule '{rid}'")
        for k, v in run.get("originalUriBaseIds", {}).items():
            if obj(v, "artifactLocation", f"{rp}.originalUriBaseIds.{k}"):
                if not v.get("uri", "").endswith("/"):
                    bad(rp, f"originalUriBaseIds.{k}.uri must end with '/'")
        for i, inv in enumerate(run.get("invocations", [])):
            obj(inv, "invocation", f"{rp}.invocations[{i}]",
                ("executionSuccessful",))
        for i, a in enumerate(run.get("artifacts", [])):
            p = f"{rp}.artifacts[{i}]"
            if obj(a, "artifact", p):
                if "location" in a:
                    artifact_location(a["location"], p + ".location")
                for role in a.get("roles", []):
                    if role not in ROLES:
                        bad(p, f"bad role {role}")
        results = run.get("results", [])
        if not isinstance(results, list):
            bad(rp + ".results", "must be an array")
            continue
        if expect_results is not None and len(results) != expect_results:
            bad(rp + ".results", f"{len(results)} results, expected "
                f"{expect_results}")
        for i, res in enumerate(results):
            p = f"{rp}.results[{i}]"
            if not obj(res, "result", p, ("message",)):
                continue
            message(res["message"], p + ".message")
            if res.get("level", "warning") not in LEVELS:
                bad(p, f"bad level {res.get('level')}")
            if res.get("kind", "fail") not in KINDS:
                bad(p, f"bad kind {res.get('kind')}")
            if "ruleIndex" in res:
                int_min(res["ruleIndex"], -1, p + ".ruleIndex")
                ri_ = res["ruleIndex"]
                if not (0 <= ri_ < len(rules)) or \
                        rules[ri_].get("id") != res.get("ruleId"):
                    bad(p, "ruleIndex does not point at ruleId")
            for j, loc in enumerate(res.get("locations", [])):
                location(loc, f"{p}.locations[{j}]")
            pf = res.get("partialFingerprints", {})
            if not isinstance(pf, dict) or \
                    not all(isinstance(x, str) for x in pf.values()):
                bad(p, "partialFingerprints must map to strings")
            if not pf:
                bad(p, "no partialFingerprints (hbtrace always writes its id)")
            for j, s in enumerate(res.get("suppressions", [])):
                sp = f"{p}.suppressions[{j}]"
                if obj(s, "suppression", sp, ("kind",)):
                    if s["kind"] not in SUPPRESSION_KINDS:
                        bad(sp, f"bad kind {s['kind']}")
            for j, cf in enumerate(res.get("codeFlows", [])):
                cp = f"{p}.codeFlows[{j}]"
                if not obj(cf, "codeFlow", cp, ("threadFlows",)):
                    continue
                if not cf["threadFlows"]:
                    bad(cp, "threadFlows must not be empty")
                for k, tf in enumerate(cf["threadFlows"]):
                    tp = f"{cp}.threadFlows[{k}]"
                    if not obj(tf, "threadFlow", tp, ("locations",)):
                        continue
                    if "message" in tf:
                        message(tf["message"], tp + ".message")
                    if not tf["locations"]:
                        bad(tp, "locations must not be empty")
                    for m, tfl in enumerate(tf["locations"]):
                        lp = f"{tp}.locations[{m}]"
                        if not obj(tfl, "threadFlowLocation", lp):
                            continue
                        if "location" in tfl:
                            location(tfl["location"], lp + ".location")
                        if "executionOrder" in tfl:
                            int_min(tfl["executionOrder"], -1,
                                    lp + ".executionOrder")
                        if "nestingLevel" in tfl:
                            int_min(tfl["nestingLevel"], 0,
                                    lp + ".nestingLevel")
                        if "stack" in tfl:
                            st = tfl["stack"]
                            if obj(st, "stack", lp + ".stack", ("frames",)):
                                for n, fr in enumerate(st["frames"]):
                                    fp = f"{lp}.stack.frames[{n}]"
                                    if obj(fr, "stackFrame", fp) and \
                                            "location" in fr:
                                        location(fr["location"],
                                                 fp + ".location")


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    path = None
    expect_results = None
    expect_rules = []
    schema = None
    while args:
        a = args.pop(0)
        if not a.startswith("--") and path is None:
            path = a
        elif a == "--schema":
            schema = args.pop(0)
        elif a == "--expect-results":
            expect_results = int(args.pop(0))
        elif a == "--expect-rule":
            expect_rules.append(args.pop(0))
        else:
            print(f"unknown argument {a}")
            return 2
    if path is None:
        print("no SARIF file given")
        return 2
    try:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: not JSON: {e}")
        return 1
    layers = ["structure"]
    if schema:
        try:
            import jsonschema
        except ImportError:
            jsonschema = None
        if jsonschema:
            with open(schema, encoding="utf-8") as f:
                validator = jsonschema.Draft4Validator(json.load(f))
            for e in validator.iter_errors(log):
                where = "$" + "".join(f"[{p!r}]" for p in e.absolute_path)
                bad(where, "schema: " + e.message[:300])
            layers.append("official schema")
        else:
            layers.append("official schema skipped: no jsonschema module")
    check(log, expect_results, expect_rules)
    if problems:
        print("\n".join(problems))
        return 1
    print("ok (" + ", ".join(layers) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
