"""Field work's JSON API: one router per part, mounted under /api/."""

from ninja import Router

from senda.casework.api import activities, people, referrals, tasks

router = Router()
router.add_router("", people.router)
router.add_router("", referrals.router)
router.add_router("", tasks.router)
router.add_router("", activities.router)
