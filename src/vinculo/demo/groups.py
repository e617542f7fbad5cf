"""The demo community's groups and posts: a few groups of the trade (open, by request, private)
with the demo account and its connections in them, and posts and comments in the groups and on
profiles, so that the feed, the groups and the profiles' activity have something to show from
the first minute."""

from __future__ import annotations

import random
from collections import defaultdict

from sqlalchemy.orm import Session

from vinculo.groups import service as groups
from vinculo.identity import repository as members
from vinculo.identity.models import Member
from vinculo.posts import service as posts

GROUPS = (
    (
        "Logística portuaria",
        "Para quienes mueven mercancía por los puertos: aduanas, transitarios, terminales.",
        "Logística",
        "open",
    ),
    (
        "Supply chain leaders",
        "Heads of logistics and operations comparing notes on planning, warehouses and fleets.",
        "Logistics",
        "request",
    ),
    (
        "Jefes de almacén",
        "Un grupo pequeño y privado para hablar con franqueza del día a día del almacén.",
        "Logística",
        "private",
    ),
)
POSTS = (
    (
        "¿Alguien ha probado a planificar turnos con previsión de demanda semanal? Nos ha bajado "
        "mucho la rotación."
    ),
    (
        "Mañana hay jornada de puertas abiertas en la terminal de contenedores. Si alguien quiere "
        "venir, que me escriba."
    ),
    "We moved our cross-docking to a *two-wave* schedule: fewer late trucks, calmer mornings.",
    (
        "Buscamos **responsable de tráfico** para Zaragoza. Conocéis a alguien? Detalles en "
        "https://example.org/empleo"
    ),
    (
        "Lessons from our peak season:\n\n- hire early\n- train on the real floor\n- measure dwell "
        "time every day"
    ),
    "Gracias a todos por los consejos del mes pasado: el nuevo almacén ya funciona.",
)
COMMENTS = (
    "Muy interesante, ¿lo podemos comentar un día?",
    "Same here: the second wave made the difference.",
    "¡Enhorabuena!",
    "Te escribo por privado.",
)


def seed_demo_groups(
    db: Session, *, pairs: set[tuple[int, int]], demo_member_id: int, rng: random.Random
) -> None:
    """Three groups: an open one the demo account is in, one by request it may ask to join, and
    a private one it owns; its connections in them; posts and comments in each, and a few
    connections' posts on their profiles."""
    neighbours: dict[int, set[int]] = defaultdict(set)
    for low, high in pairs:
        neighbours[low].add(high)
        neighbours[high].add(low)
    mine = sorted(neighbours[demo_member_id])
    if len(mine) < 6:
        return
    rng.shuffle(mine)
    everyone = members.members_by_id(db, sorted({demo_member_id, *mine[:40]}))
    demo = everyone[demo_member_id]
    others = [everyone[i] for i in mine[:40] if i in everyone]
    owners = (others[0], others[1], demo)
    for (name, description, sector, policy), owner in zip(GROUPS, owners, strict=True):
        group = groups.create_group(
            db, creator=owner, name=name, description=description, sector=sector, policy=policy
        ).group
        joining = [m for m in rng.sample(others, min(len(others), 12)) if m.id != owner.id]
        if owner.id != demo.id and policy == "open":
            joining.append(demo)
        for member in joining:
            _join(db, group_id=group.id, member=member, owner=owner, policy=policy)
        writers = [owner, *joining]
        for text in rng.sample(POSTS, 3):
            post = posts.write_post(db, author=rng.choice(writers), text=text, group_id=group.id)
            for comment in rng.sample(COMMENTS, rng.randint(0, 2)):
                posts.comment_on(db, post_id=post.post.id, by=rng.choice(writers), text=comment)
    for author in others[:4]:
        posts.write_post(db, author=author, text=rng.choice(POSTS))


def _join(db: Session, *, group_id: int, member: Member, owner: Member, policy: str) -> None:
    """In the group: at once for an open one; through a request its owner approves, or an
    invitation the member accepts, for the others."""
    if policy == "private":
        groups.invite_to_group(db, group_id=group_id, member_id=member.id, by=owner)
        groups.join_group(db, group_id=group_id, by=member)
        return
    groups.join_group(db, group_id=group_id, by=member)
    if policy == "request":
        groups.approve_request(db, group_id=group_id, member_id=member.id, by=owner)
