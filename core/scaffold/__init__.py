"""`trellis modules new`: a new module as its own installable package, from the files in template/.

Every file of `template/` ends in `.tmpl` (so no tool mistakes it for code) and names the
module as `${name}`, in its path and its text; `string.Template` fills those in.
"""

from core.scaffold.names import BadName, check_name
from core.scaffold.writer import create_module

__all__ = ["BadName", "check_name", "create_module"]
