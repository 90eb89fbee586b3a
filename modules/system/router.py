"""GET /api/v1/modules: the enabled modules as they run, for administrators."""

from __future__ import annotations

from fastapi import APIRouter

from core import CurrentAdministrator, ModuleInventory
from modules.system.schemas import ModulePublic, ModulesPublic

router = APIRouter(prefix="/modules", tags=["system"])


@router.get("", response_model=ModulesPublic)
async def list_modules(_caller: CurrentAdministrator, modules: ModuleInventory) -> ModulesPublic:
    """Every enabled module in start-up order, with its migration state read just now."""
    return ModulesPublic(items=[ModulePublic.model_validate(module) for module in modules])
