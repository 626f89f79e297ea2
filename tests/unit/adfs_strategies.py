"""Hypothesis strategies for AD FS rule sets shaped as AD FS returns them (shared by the
adfs_rules tests)."""

from ansible_collections.federated.ssm_runas.plugins.plugin_utils import adfs_rules as R
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_name_chars = st.characters(
    codec="utf-8", exclude_characters='"\\\r\n', exclude_categories=["Cs", "Cc"]
)
_str_body = st.text(alphabet=st.sampled_from(list("ab ;=>/*\\#:,()[]{}$^.?\t")), max_size=12)
_literal = _str_body.map(lambda s: '"' + s + '"')
_ws = st.sampled_from([" ", "", "\t", "  "])


@st.composite
def rule_bodies(draw, name=None):
    parts = []
    if draw(st.booleans()):
        template = draw(st.sampled_from(["LdapClaims", "MapClaims"]))
        parts.append(f'@RuleTemplate = "{template}"')
    rule_name = (
        name
        if name is not None
        else draw(st.one_of(st.none(), st.text(_name_chars, min_size=1, max_size=12)))
    )
    if rule_name is not None:
        parts.append(f'@RuleName = "{rule_name}"')
    if draw(st.booleans()):
        parts.append(f"c:[Type =={draw(_ws)}{draw(_literal)}, Value =~ {draw(_literal)}]")
    if draw(st.booleans()):
        comment = draw(_str_body).replace("*/", "")
        parts.append(f"/* {comment} */")
    arrow = f"{draw(_ws)}=>{draw(_ws)}"
    parts.append(f"{arrow}issue(Type = {draw(_literal)}, Value = {draw(_literal)});")
    return "\n".join(parts)


@st.composite
def rule_sets(draw):
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    bodies = draw(st.lists(rule_bodies(), max_size=5))
    seps = draw(
        st.lists(
            # A byte-order mark is trivia wherever it sits, as a space would be.
            st.sampled_from(["", "\n", "\n\n", " // note; => x\n", "\n/* c;*/\n", "\ufeff\n"]),
            min_size=len(bodies),
            max_size=len(bodies),
        )
    )
    text = "".join(s + b for s, b in zip(seps, bodies, strict=True))
    text += draw(st.sampled_from(["", "\n", "\n\n"]))
    return text.replace("\r\n", "\n").replace("\n", nl)


ATTRS = st.sampled_from(R.LDAP_ATTRIBUTES)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
