# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWX / Automation Controller survey specs from role argument specs.

A role's ``meta/argument_specs.yml`` already says, for every variable, its type, whether it is
required, its default, its choices and whether it is a secret. ``survey_spec`` turns the options
of one or more entry points into the ``survey_spec`` document AWX stores on a job template, so
the questions an operator answers in AWX are the ones the role validates, never a second list
kept by hand.

Mapping (AWX question types: text, textarea, password, integer, float, multiplechoice,
multiselect):

- a secret (``no_log: true``, or a name ending in ``_password``, ``_token``, ``_secret`` or
  ``_secret_key`` without ``choices``) becomes a ``password`` question without a default;
- ``choices`` become a ``multiplechoice`` question (choices joined by newlines, as AWX stores
  them), the default kept when it is one of them;
- ``str`` and ``path`` become ``text``, ``int`` ``integer``, ``float`` ``float``;
- ``bool``, ``list``, ``dict`` and ``raw`` are not asked: AWX answers are strings or numbers, and
  a string ``"false"`` is not a boolean for Ansible's conditionals. They stay at the role's
  default or are set in the job template's extra variables; ``survey_spec`` lists them in
  ``skipped`` so callers can say so.
- Defaults that are templates (``{{ ... }}``) are not copied: AWX would hand the template to the
  play as text; leaving the question empty lets the role's own default apply.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

SECRET_SUFFIXES = ("_password", "_token", "_secret", "_secret_key")
ASKED_TYPES = {"str": "text", "path": "text", "int": "integer", "float": "float"}
NOT_ASKED_TYPES = ("bool", "list", "dict", "raw", "bits", "bytes", "jsonarg", "json", "sid")
# AWX's default limits for text answers; a longer default would be refused.
TEXT_MAX = 1024


class SurveySpecError(ValueError):
    """An argument spec that cannot become a survey (names the option and the rule)."""


def _first_sentence(description):
    """The first line of an option's description, without Ansible doc markup."""
    if isinstance(description, (list, tuple)):
        description = description[0] if description else ""
    text = " ".join(str(description or "").split())
    text = re.sub(r"\b[A-Z]\(([^)]*)\)", r"\1", text)
    return text


def _title(name, prefix):
    """``wcs_cdn_aws_image_id`` with prefix ``wcs_cdn_aws_`` -> ``Image id``."""
    short = name[len(prefix):] if prefix and name.startswith(prefix) and len(name) > len(prefix) else name
    words = short.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def is_secret(name, option):
    """True when the option holds a secret and must be a password question."""
    if option.get("no_log"):
        return True
    if option.get("choices"):
        return False
    return option.get("type", "str") in ("str", "raw") and name.endswith(SECRET_SUFFIXES)


def _is_template(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def question(name, option, prefix=""):
    """One AWX survey question for an option, or None when its type is not asked."""
    if not isinstance(option, dict):
        raise SurveySpecError("option %s: expected a mapping, got %r" % (name, option))
    opt_type = option.get("type", "str")
    required = bool(option.get("required", False))
    choices = option.get("choices")
    default = option.get("default")
    if opt_type in NOT_ASKED_TYPES or (opt_type not in ASKED_TYPES and not choices):
        if required:
            raise SurveySpecError(
                "option %s is required but of type %s, which an AWX survey cannot ask; "
                "set it in the job template's extra variables" % (name, opt_type))
        return None

    item = {
        "question_name": _title(name, prefix),
        "question_description": _first_sentence(option.get("description")),
        "variable": name,
        "required": required,
    }
    if is_secret(name, option):
        item["type"] = "password"
        item["min"] = 0
        item["max"] = TEXT_MAX
        return item
    if choices and opt_type in ("int", "float"):
        # AWX multiple choice answers are strings; a number question bounded by the choices
        # keeps the type, the role's argument spec validation refuses a value in between.
        item["type"] = ASKED_TYPES[opt_type]
        if opt_type == "int":
            item["min"] = int(min(choices))
            item["max"] = int(max(choices))
        item["question_description"] = ("%s One of: %s." % (
            item["question_description"], ", ".join(str(c) for c in choices))).strip()
        if default is not None and not _is_template(default):
            item["default"] = int(default) if opt_type == "int" else float(default)
        return item
    if choices:
        if opt_type not in ("str", "path"):
            raise SurveySpecError(
                "option %s has choices of type %s; AWX multiple choice answers are strings"
                % (name, opt_type))
        item["type"] = "multiplechoice"
        item["choices"] = "\n".join(str(c) for c in choices)
        if default is not None and str(default) in [str(c) for c in choices]:
            item["default"] = str(default)
        return item

    item["type"] = ASKED_TYPES[opt_type]
    if item["type"] == "text":
        item["min"] = 0
        item["max"] = TEXT_MAX
    if default is not None and not _is_template(default):
        if item["type"] == "integer":
            item["default"] = int(default)
        elif item["type"] == "float":
            item["default"] = float(default)
        elif str(default) != "":
            if len(str(default)) > TEXT_MAX:
                raise SurveySpecError("option %s: default longer than %d characters" % (name, TEXT_MAX))
            item["default"] = str(default)
    return item


def survey_spec(options, name, description="", exclude=None, prefix=""):
    """AWX survey spec for a mapping of argument spec options.

    ``options``: the ``options`` of one entry point, or a list of such mappings (merged in order;
    an option given twice must be given the same way). ``exclude``: option names not to ask
    (for example those an AWX credential provides). Returns ``{"name", "description", "spec",
    "skipped"}``; ``skipped`` names the options not asked because of their type (AWX ignores
    unknown keys of a survey spec, but callers should drop it before sending).
    """
    if isinstance(options, dict):
        options = [options]
    merged = {}
    for mapping in options or []:
        if not isinstance(mapping, dict):
            raise SurveySpecError("expected argument spec options (a mapping), got %r" % (mapping,))
        for opt_name, option in mapping.items():
            if opt_name not in merged:
                merged[opt_name] = option
                continue
            # Entry points of one role share variables; their descriptions may differ, what
            # the question is made of must not. Required by any entry point: required.
            first = merged[opt_name]
            for key in ("type", "choices", "no_log"):
                if first.get(key) != option.get(key):
                    raise SurveySpecError("option %s is declared twice with a different %s: %r and %r"
                                          % (opt_name, key, first.get(key), option.get(key)))
            if option.get("required") and not first.get("required"):
                merged[opt_name] = dict(first, required=True)
    exclude = set(exclude or [])
    spec = []
    skipped = []
    for opt_name in merged:
        if opt_name in exclude:
            continue
        item = question(opt_name, merged[opt_name], prefix=prefix)
        if item is None:
            skipped.append(opt_name)
        else:
            spec.append(item)
    # Required questions first, each group in the argument spec's order.
    spec.sort(key=lambda q: not q["required"])
    return {"name": name, "description": description, "spec": spec, "skipped": skipped}
