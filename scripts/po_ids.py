"""Print the msgids of a .po file, one JSON string per line (a helper for translators)."""

import json
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
for block in text.split("\n\n"):
    match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
    if match:
        msgid = "".join(json.loads(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', match.group(1)))
        if msgid:
            print(json.dumps(msgid, ensure_ascii=False))
