"""GET /api/v1/modules: the enabled modules as they run, for holders of `system:inspect`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from core import ModuleInventory, Principal, require
from modules.system.schemas import ModulePublic, ModulesPublic

INSPECT = "system:inspect"
Inspector = Annotated[Principal, Depends(require(INSPECT))]

router = APIRouter(prefix="/modules", tags=["system"])


@router.get("", response_model=ModulesPublic)
async def list_modules(_caller: Inspector, modules: ModuleInventory) -> ModulesPublic:
    """Every enabled module in start-up order, with its migration state read just now."""
    return ModulesPublic(items=[ModulePublic.model_validate(module) for module in modules])
