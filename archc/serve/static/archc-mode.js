// Syntax colours for the archc DSL in CodeMirror (keywords of archc/parser/*.lark; a name before "(" is an op).
"use strict";
CodeMirror.defineSimpleMode("archc", {
  start: [
    { regex: /#.*/, token: "comment" },
    { regex: /"(?:[^\\"]|\\.)*"?|'(?:[^\\']|\\.)*'?/, token: "string" },
    { regex: /\b(?:network|block|input|output|expect|repeat|residual|shortcut|scan|branch|concat|seq|index|as|if|else|and|or|not)\b/,
      token: "keyword" },
    { regex: /\b(?:true|false)\b/, token: "atom" },
    { regex: /[a-zA-Z_]\w*(?=\s*\()/, token: "def" },
    { regex: /\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?/i, token: "number" },
    { regex: /->|==|!=|<=|>=|[-+*\/%<>=:]/, token: "operator" },
    { regex: /[A-Z]\w*/, token: "variable-2" },
  ],
  meta: { lineComment: "#" },
});
