"""Speed and relevance of member search on a million generated members (issue 15; `make bench`
with PostgreSQL).

Generates a community from a seed: members with Spanish and English names as skewed as real ones
(many Garcías and Smiths, accents, O'Briens and hyphens), headlines, locations, sectors, 1–4
positions at tens of thousands of organizations of heavy-tailed sizes, 1–2 studies at a few
thousand schools, and 10–20 connections each, mostly between colleagues and classmates whose
years overlapped. Loads it into PostgreSQL with COPY, builds the graph index and the search index,
and times, in the same run and over the same queries (one word, two words, words with a filter,
a prefix as typed):

- vínculo: `profiles.service.search_members` (the search page's call, ranked by
  `vinculo.search`) in a read-only unit of work, degrees from the graph index;
- LIKE (before): the search before issue 15, a folded text per member searched with
  `LIKE '%word%'` for every word, by name;
- PostgreSQL full-text: `to_tsvector('simple', …)` over a GIN index, by `ts_rank`, with a count.

Then checks relevance on a labelled set: a viewer looks for a colleague (someone whose years at
an organization or school overlapped theirs) by full name, by surname and organization, by full
name with a typo, and by first name and the start of the surname as typed; the colleague must be
in the top 5. Prints markdown tables for docs/benchmarks.md.

    .venv/bin/python benchmarks/search.py [--members 1000000] [--queries 200] [--seed 7]
        [--keep] [--database-url postgresql+psycopg://…/vinculo_search_bench]

The database is emptied, and created when missing; by default it is `vinculo_search_bench` on
the server of $VINCULO_BENCH_POSTGRES_URL (beside the database the graph benchmark empties).
`--keep` reuses it when it already holds the community of the same size and seed.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the module path, where benchmarks/http.py
# would stand in for the standard library's `http`: take the folder off.
# ruff: noqa: E402
HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)

import argparse
import functools
import io
import os
import platform
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session

from vinculo import migrations
from vinculo.db import Database
from vinculo.graph import GraphIndex
from vinculo.identity.models import Member
from vinculo.network import degrees
from vinculo.network import repository as network_repository
from vinculo.network.index import GRAPH_INDEX, NetworkIndex, graph_for_reading
from vinculo.privacy.repository import blocked_either_way
from vinculo.profiles.models import Organization, Position
from vinculo.profiles.service import reindex_search, search_members
from vinculo.search.service import Filters
from vinculo.text import fold

IntArray = npt.NDArray[np.int64]

# Bump when the generator changes, so that `--keep` does not reuse a community made otherwise.
GENERATOR_VERSION = 1
NOW = "2026-01-01 00:00:00+00"
THIS_YEAR = 2026
FIRST_YEAR = 1990
LIMIT = 20
TOP = 5
DATABASE = "vinculo_search_bench"
COLLEAGUE_RATE = 2.4  # connections started per position or study, before overlap is checked
RANDOM_SHARE = 0.12  # connections between members who shared nothing
SPANISH, ENGLISH = 0, 1


def _listed(text: str, separator: str = ",") -> list[str]:
    """The items of a list written across lines, in order, once each."""
    return list(dict.fromkeys(" ".join(item.split()) for item in text.split(separator)))


# Targets of issue 15, in milliseconds, for vínculo: (p50, p99); None where there is none.
TARGETS: dict[str, tuple[float | None, float]] = {
    "one word": (10.0, 50.0),
    "two words": (10.0, 50.0),
    "one or two words + filter": (10.0, 50.0),
    "prefix as you type": (None, 30.0),
}
RELEVANCE_TARGET = 0.9
OURS = "vínculo"  # the system the targets are for

# Names, most common first: how often each is drawn falls with its rank.

SPANISH_FIRST_NAMES = """María, José, Antonio, Manuel, Carmen, Ana, Francisco, Juan, David, Laura,
Isabel, Javier, Daniel, Carlos, Lucía, Marta, Pedro, Elena, Miguel, Alejandro, Pablo, Cristina,
José Luis, María José, Rafael, Sergio, Paula, Raquel, Fernando, Sara, Jorge, Luis, Pilar, Alberto,
Álvaro, Juan Carlos, Rosa, Andrés, Beatriz, Diego, Nuria, Adrián, Patricia, Rubén, Silvia,
María del Carmen, Ramón, Mercedes, Iván, Irene, Óscar, Alba, Enrique, Andrea, Ignacio, Julia,
Víctor, Sofía, Jesús, Inés, Gonzalo, Noelia, José Antonio, Íñigo, Ainhoa, Ángel, Rocío, Joaquín,
Begoña, Héctor, Maite, Mateo, Lorena, Nicolás, Verónica, Tomás, Ángela, Emilio, Teresa, Santiago,
Yolanda, Guillermo, Montserrat, Jaime, Nerea, Agustín, Leire, Iker, Valeria, Camila, Ximena,
Valentina, Mariana, Gabriela, Sebastián, Matías, Benjamín, Martín, Facundo, Thiago, Renata,
Catalina, Florencia, Agustina, Luciana, Milagros, Guadalupe, Jordi, Montse, Oriol, Pau, Arnau,
Mireia, Aitor, Unai, Josu, Amaia, Itziar, Eneko, Juan José, Ana Belén, José Manuel, María Ángeles,
Francisco Javier, Miguel Ángel, María Jesús, Encarnación, Remedios, Eulalia, Xabier, Zoé, Noé,
Maialen, Anaís, Gael, Rodrigo, Marcos, Hugo, Leo, Lola, Daniela, Martina, Carla, Claudia, Eva"""

ENGLISH_FIRST_NAMES = """James, John, Robert, Michael, William, David, Sarah, Emma, Richard,
Joseph, Thomas, Charles, Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica,
Karen, Emily, Olivia, Sophie, Charlotte, Amelia, Grace, Hannah, Chloe, Lucy, Jack, Harry, George,
Oliver, Daniel, Samuel, Matthew, Andrew, Christopher, Joshua, Ryan, Benjamin, Nathan, Liam, Noah,
Ethan, Mason, Logan, Aiden, Jacob, Megan, Rebecca, Laura, Rachel, Amy, Claire, Helen, Katherine,
Victoria, Alice, Mark, Paul, Steven, Kevin, Brian, Gary, Peter, Ian, Stuart, Graham, Neil, Gareth,
Rhys, Dylan, Owen, Evan, Freya, Isla, Poppy, Ava, Mia, Ella, Harper, Madison, Abigail, Taylor,
Morgan, Priya, Aisha, Mohammed, Omar, Raj, Wei, Mei, Zoë, Chloë, Siobhán, Seán, Niamh, Aoife,
Ciarán, Eoin, Ruairí, Mary-Jane, Anne-Marie, Jean-Luc, Bethany, Declan, Fiona, Hamish, Iain,
Kirsty, Lachlan, Moira, Callum, Ewan, Eilidh, Tyrone, DeShawn, Jamal, Keisha, Latoya, Connor,
Bridget, Maeve, Cormac, Tegan, Bronwen, Dafydd, Elin"""

SPANISH_SURNAMES = """García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez,
Gómez, Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, Alonso, Gutiérrez,
Navarro, Torres, Domínguez, Vázquez, Ramos, Gil, Ramírez, Serrano, Blanco, Molina, Morales, Suárez,
Ortega, Delgado, Castro, Ortiz, Rubio, Marín, Sanz, Núñez, Iglesias, Medina, Garrido, Cortés,
Castillo, Santos, Lozano, Guerrero, Cano, Prieto, Méndez, Cruz, Calvo, Gallego, Vidal, León,
Márquez, Herrera, Peña, Flores, Cabrera, Campos, Vega, Fuentes, Carrasco, Diez, Caballero, Reyes,
Nieto, Aguilar, Pascual, Santana, Herrero, Lorenzo, Montero, Hidalgo, Giménez, Ibáñez, Ferrer,
Durán, Santiago, Benítez, Mora, Vicente, Vargas, Arias, Carmona, Crespo, Román, Pastor, Soto,
Sáez, Velasco, Moya, Soler, Parra, Esteban, Bravo, Gallardo, Rojas, Pardo, Merino, Franco,
Espinosa, Izquierdo, Lara, Rivas, Silva, Rivera, Casado, Arroyo, Redondo, Camacho, Rey, Vera,
Otero, Luque, Galán, Montes, Ríos, Sierra, Segura, Carrillo, Marcos, Soriano, Mendoza, Robles,
Bernal, Vila, Valero, Palacios, Pereira, Beltrán, Salazar, Ochoa, Echeverría, Aguirre, Zapata,
Villanueva, Quintero, Acosta, Bustamante, Valencia, Cárdenas, Maldonado, Contreras, Figueroa,
Miranda, Paredes, Quispe, Mamani, Huamán, Chávez, Rosales, Valdés, Orozco, Salinas, Zúñiga,
Ibarra, Olmedo, Arrieta, Goikoetxea, Etxeberria, Urrutia, Zubizarreta, Puig, Serra, Vilanova,
Roca, Casals, Font, Pujol, Ferrándiz, Peñalver, Muñiz, Añón, Ordóñez, Cañete, Nuño, Villaseñor,
Montaño, Carreño, Toledo, Barrios, Quiroga, Sepúlveda, Bautista, De la Fuente, De la Cruz,
Del Río, San Martín"""

ENGLISH_SURNAMES = """Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas,
Johnson, Roberts, Robinson, Thompson, Wright, Walker, White, Edwards, Hughes, Green, Hall, Lewis,
Harris, Clarke, Patel, Jackson, Wood, Turner, Martin, Cooper, Hill, Ward, Morris, Moore, Clark,
Lee, King, Baker, Harrison, Morgan, Allen, James, Scott, Phillips, Watson, Davis, Parker, Price,
Bennett, Young, Griffiths, Mitchell, Kelly, Cook, Carter, Richardson, Bailey, Collins, Bell, Shaw,
Murphy, Miller, Cox, Richards, Khan, Marshall, Anderson, Simpson, Ellis, Adams, Singh, Begum,
Wilkinson, Foster, Chapman, Powell, Webb, Rogers, Gray, Mason, Ali, Hunt, Hussain, Campbell,
Matthews, Owen, Palmer, Holmes, Mills, Barnes, Knight, Lloyd, Butler, Russell, Barker, Fisher,
Stevens, Jenkins, Murray, Dixon, Harvey, Graham, Pearson, Ahmed, Fletcher, Walsh, Kaur, Gibson,
Howard, Andrews, Stewart, Elliott, Reynolds, Saunders, Payne, Fox, Ford, Pearce, Day, Brooks,
West, Lawrence, Cole, Atkinson, Bradley, Spencer, Gill, Dawson, Ball, Burton, O'Brien, O'Connor,
O'Neill, O'Sullivan, McDonald, MacLeod, McKenzie, Fitzgerald, Kennedy, Sullivan, Gallagher,
Doherty, Quinn, Byrne, Ryan, Nguyen, Chen, Wang, Li, Kim, Garcia, Rodriguez, Martinez, Hernandez,
Lopez, Gonzalez, Washington, Jefferson, Rivera, Reed, Hayes, Myers, Hamilton, Wallace, Woods,
Jordan, Owens, McCarthy, Brennan, Lynch, Schmidt, Novak, Kowalski, Rossi, Bianchi, Ó Briain,
Nic Giolla, Brontë, Smythe-Jones, Lloyd-Webber"""

# Rarer surnames made of real parts, for the long tail a community has.
SURNAME_PARTS = {
    SPANISH: (
        """Valde Villa Monte Castel Torre Fuente Sala Alca Bena Peña Etxe Goiko Uri Arri Zubi
        Iturri Larra Mendi Olea Aza""",
        """rrama nueva sinos llano blanca alba seco mayor verde hermosa barria koetxea aga zabal
        ondo garai gorri txea rreta""",
    ),
    ENGLISH: (
        """Ash Black Brad Church Hart Ship Whit Wood Mill Brook Thorn Fair Holl Red Stan Cran Ald
        Marl Pen Wether""",
        "ley field ford ton worth well wood bury ham more by stone combe hurst",
    ),
}

TITLES = {
    ENGLISH: """Software engineer, Senior software engineer, Backend developer, Frontend developer,
Data analyst, Data scientist, Product manager, Project manager, Logistics manager,
Operations manager, Warehouse supervisor, Sales representative, Account manager,
Marketing manager, Financial analyst, Accountant, HR business partner, Recruiter, Nurse,
Staff nurse, General practitioner, Teacher, Lecturer, Research assistant, Civil engineer,
Mechanical engineer, Electrical engineer, Architect, Solicitor, Paralegal, Consultant,
Customer success manager, Graphic designer, UX designer, Head chef, Pharmacist,
Physiotherapist, Chief executive officer, Chief technology officer, Founder, Office manager,
Store manager, Site manager, Quantity surveyor, Supply chain analyst, Procurement officer""",
    SPANISH: """Ingeniera de software, Ingeniero de software, Desarrollador backend,
Desarrolladora frontend, Analista de datos, Científica de datos, Jefe de proyecto,
Jefa de producto, Responsable de logística, Técnico de almacén, Jefe de tráfico, Comercial,
Directora comercial, Directora financiera, Contable, Abogada, Abogado laboralista, Enfermero,
Enfermera, Médica de familia, Profesor de secundaria, Profesora de matemáticas, Arquitecto,
Ingeniero de caminos, Ingeniera industrial, Consultor, Consultora SAP, Diseñadora gráfica,
Técnica de recursos humanos, Jefa de ventas, Auxiliar administrativo, Fisioterapeuta,
Farmacéutica, Investigador posdoctoral, Cocinero, Jefe de obra, Gerente, Director general,
Fundadora, Responsable de compras, Administrativa, Delegado comercial""",
}

SECTORS: dict[str, str] = {
    # sector: words an organization of the sector has in its name
    "Logistics": "Logística, Logistics, Transportes, Couriers, Freight, Distribución",
    "Software": "Systems, Software, Technologies, Labs, Digital, Tecnología",
    "Healthcare": "Health, Salud, Clínica, Care, Medical",
    "Education": "Academy, Formación, Learning, Institute",
    "Finance": "Capital, Finanzas, Partners, Investments",
    "Banking": "Bank, Banca, Caja",
    "Insurance": "Seguros, Insurance, Mutual",
    "Retail": "Stores, Market, Tiendas, Retail",
    "Energy": "Energía, Energy, Power, Renovables, Solar",
    "Construction": "Construcciones, Builders, Obras, Construction",
    "Manufacturing": "Industrias, Manufacturing, Components, Metal",
    "Automotive": "Motors, Automoción, Auto",
    "Telecommunications": "Telecom, Comunicaciones, Networks, Fibra",
    "Hospitality": "Hoteles, Hotels, Resorts, Hospitality",
    "Tourism": "Viajes, Travel, Tours",
    "Legal services": "Abogados, Legal, Law, Solicitors",
    "Consulting": "Consulting, Consultores, Advisors, Asesores",
    "Marketing and advertising": "Creative, Publicidad, Agency, Marketing",
    "Media": "Media, Ediciones, Publishing, Radio",
    "Pharmaceuticals": "Pharma, Farma, Laboratorios, Therapeutics",
    "Biotechnology": "Bio, Biotech, Genomics",
    "Agriculture": "Agro, Farms, Cooperativa, Agrícola",
    "Food and beverage": "Foods, Alimentación, Bodegas, Brewing",
    "Real estate": "Inmobiliaria, Properties, Estates, Homes",
    "Aerospace": "Aerospace, Aeronáutica, Aviation",
    "Non-profit": "Foundation, Fundación, Trust, Asociación",
    "Research": "Research, Investigación, Institute",
    "Architecture": "Arquitectos, Architects, Studio, Estudio",
    "Design": "Design, Diseño, Studio",
    "Human resources": "Talent, People, Staffing, Recursos Humanos",
    "Mining": "Minería, Mining, Resources",
    "Utilities": "Aguas, Water, Utilities",
    "E-commerce": "Online, Shop, Commerce",
    "Video games": "Games, Studios, Interactive",
    "Public administration": "",
    "Hospitals": "",
}
BRAND_PARTS = (
    """Swift Blue Iber Nova Atlas Sol Terra Alba Nor Sur Astra Bright Green Red Silver Clear
    Prime Vital Iris Luz Mar Cierzo Ebro Tajo Oak North Quantum Vértice Ágora Zenit""",
    """courier tech logic data net soft trans med gen mar via lab works point wave line bridge
    field core sys""",
)
LEGAL_FORMS = {
    SPANISH: ("S.A.", "S.L.", "S.L.U.", "S.Coop."),
    ENGLISH: ("Ltd", "Inc.", "plc", "LLC"),
}
# How organizations are named, by culture: (share of companies so named, form). The public
# sector and hospitals have forms of their own, half each.
COMPANY_FORMS = {
    SPANISH: (
        (0.15, "{brand}"),
        (0.40, "{brand} {word}"),
        (0.15, "{brand} {legal}"),
        (0.08, "Grupo {brand}"),
        (0.14, "{word} {surname}"),
        (0.04, "{surname} & {other} {word}"),
        (0.04, "{brand} {word} {legal}"),
    ),
    ENGLISH: (
        (0.15, "{brand}"),
        (0.40, "{brand} {word}"),
        (0.15, "{brand} {legal}"),
        (0.08, "{brand} Group"),
        (0.14, "{surname} {word}"),
        (0.04, "{surname} & {other} {word}"),
        (0.04, "{brand} {word} {legal}"),
    ),
}
SECTOR_FORMS = {
    ("Public administration", SPANISH): ("Ayuntamiento de {city}", "Diputación de {city}"),
    ("Public administration", ENGLISH): ("{city} City Council", "{city} County Council"),
    ("Hospitals", SPANISH): ("Hospital Universitario de {city}", "Hospital {surname} {city}"),
    ("Hospitals", ENGLISH): ("NHS {city} Hospitals Trust", "{city} General Hospital"),
}

# City, country; the most populous first. Members live in them, and schools are named after them.
CITIES = {
    SPANISH: """Madrid, España; Barcelona, España; Valencia, España; Sevilla, España;
Zaragoza, España; Málaga, España; Murcia, España; Palma, España;
Las Palmas de Gran Canaria, España; Bilbao, España; Alicante, España; Córdoba, España;
Valladolid, España; Vigo, España; Gijón, España; A Coruña, España; Granada, España;
Vitoria-Gasteiz, España; Elche, España; Oviedo, España; Santander, España; Pamplona, España;
San Sebastián, España; Salamanca, España; Cádiz, España; León, España; Logroño, España;
Almería, España; Castellón de la Plana, España; Cáceres, España; Jaén, España; Huelva, España;
Girona, España; Lleida, España; Tarragona, España; Burgos, España; Ávila, España;
Segovia, España; Toledo, España; Cuenca, España; Ciudad de México, México; Bogotá, Colombia;
Lima, Perú; Buenos Aires, Argentina; Santiago, Chile; Guadalajara, México; Monterrey, México;
Medellín, Colombia; Quito, Ecuador; Caracas, Venezuela; Montevideo, Uruguay; Cali, Colombia;
Córdoba, Argentina; Rosario, Argentina; Guayaquil, Ecuador; Puebla, México; Querétaro, México;
Mérida, México; Barranquilla, Colombia; Arequipa, Perú; Valparaíso, Chile; Concepción, Chile;
Asunción, Paraguay; La Paz, Bolivia; Santa Cruz de la Sierra, Bolivia; San José, Costa Rica;
Ciudad de Panamá, Panamá; Santo Domingo, República Dominicana; San Juan, Puerto Rico;
Mendoza, Argentina""",
    ENGLISH: """London, United Kingdom; New York, United States; Manchester, United Kingdom;
Los Angeles, United States; Chicago, United States; Birmingham, United Kingdom;
Houston, United States; Leeds, United Kingdom; Glasgow, United Kingdom;
San Francisco, United States; Edinburgh, United Kingdom; Seattle, United States;
Bristol, United Kingdom; Boston, United States; Liverpool, United Kingdom; Austin, United States;
Sheffield, United Kingdom; Miami, United States; Cardiff, United Kingdom;
Atlanta, United States; Belfast, United Kingdom; Denver, United States;
Newcastle upon Tyne, United Kingdom; Philadelphia, United States; Nottingham, United Kingdom;
Phoenix, United States; Leicester, United Kingdom; San Diego, United States;
Brighton, United Kingdom; Dallas, United States; Oxford, United Kingdom;
Portland, United States; Cambridge, United Kingdom; Washington, United States;
York, United Kingdom; San Antonio, United States; Aberdeen, United Kingdom;
Swansea, United Kingdom; Dublin, Ireland; Cork, Ireland; Galway, Ireland""",
}
SCHOOL_FORMS = {
    SPANISH: (
        ("Universidad de {city}", "Universidad Politécnica de {city}"),
        ("Universidad Autónoma de {city}", "Universidad Católica de {city}"),
        ("Escuela de Negocios de {city}",),
    ),
    ENGLISH: (
        ("University of {city}", "{city} Metropolitan University"),
        ("{city} State University", "{city} College"),
        ("{city} Business School",),
    ),
}
HIGH_SCHOOL_FORMS = {
    SPANISH: tuple(
        f"{kind} {name}, {{city}}"
        for kind, names in (
            (
                "IES",
                """Miguel de Cervantes, Antonio Machado, Federico García Lorca, Rosalía de Castro,
                Clara Campoamor, Severo Ochoa, Ramón y Cajal, Gregorio Marañón, Isaac Albéniz,
                Emilia Pardo Bazán, María Moliner, Juan de la Cierva, Lope de Vega,
                Benito Pérez Galdós, Jorge Juan, Gabriela Mistral, Rubén Darío""",
            ),
            (
                "Colegio",
                """San José, Santa Teresa, San Ignacio, Nuestra Señora del Pilar, La Salle,
                Santa María, San Agustín, Sagrado Corazón""",
            ),
        )
        for name in _listed(names)
    ),
    ENGLISH: tuple(
        f"{name}, {{city}}"
        for name in _listed(
            """Kingsway School, St Mary's High School, Holy Cross Academy, Riverside High School,
            Oakwood Academy, Westfield School, Hillcrest High School, St John's College"""
        )
    ),
}
DEGREES = {
    SPANISH: (
        """Grado en Ingeniería Informática, Grado en Administración y Dirección de Empresas,
        Grado en Derecho, Grado en Medicina, Grado en Enfermería, Licenciatura en Economía,
        Ingeniería Industrial, Máster en Logística, MBA, Grado en Magisterio,
        Licenciatura en Psicología, Grado en Arquitectura""",
        "Bachillerato, Bachillerato de Ciencias, Bachillerato de Humanidades",
    ),
    ENGLISH: (
        """BSc Computer Science, BA Economics, BSc Nursing, MSc Data Science, LLB Law,
        BEng Civil Engineering, MA History, MBA, BA English Literature,
        MEng Mechanical Engineering""",
        "A-levels, High School Diploma, GCSEs",
    ),
}


@dataclass
class Community:
    """A generated community. Member i has id i + 1; organizations, schools, positions and
    studies likewise count from 1 in the order of these lists."""

    names: list[str]
    first_names: list[str]  # the first word of the first name, as a person types it
    surnames: list[str]  # the first surname
    culture: IntArray
    headlines: list[str]
    locations: list[str]
    sectors: list[str]
    organizations: list[str]
    schools: list[str]
    # Positions and studies: one entry each in these arrays.
    position_member: IntArray
    position_organization: IntArray
    position_title: list[str]
    position_start: IntArray
    position_end: IntArray  # 0: open-ended
    study_member: IntArray
    study_school: IntArray
    study_degree: list[str]
    study_start: IntArray
    study_end: IntArray  # 0: still studying
    # Connections, low id first, each pair once, in order.
    low: IntArray
    high: IntArray

    @property
    def size(self) -> int:
        return len(self.names)


def _ranked(count: int, *, exponent: float = 1.0, offset: float = 2.0) -> npt.NDArray[np.float64]:
    """Probabilities falling with rank, as the frequencies of names and sizes of employers do."""
    weights = (np.arange(count, dtype=np.float64) + offset) ** -exponent
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def _draw(rng: np.random.Generator, p: npt.NDArray[np.float64], size: int) -> IntArray:
    """`size` indices drawn with probabilities `p` (faster than `rng.choice` at this size)."""
    return np.minimum(np.searchsorted(np.cumsum(p), rng.random(size)), len(p) - 1).astype(np.int64)


def _surnames(culture: int) -> list[str]:
    listed = _listed(SPANISH_SURNAMES if culture == SPANISH else ENGLISH_SURNAMES)
    prefixes, suffixes = (part.split() for part in SURNAME_PARTS[culture])
    made = [p + s for p in prefixes for s in suffixes]
    return list(dict.fromkeys([*listed, *made]))


def _names(rng: np.random.Generator, culture: IntArray) -> tuple[list[str], list[str], list[str]]:
    """Full names, the first word of each first name, and each first surname."""
    n = len(culture)
    names: list[str] = [""] * n
    first_words: list[str] = [""] * n
    surnames: list[str] = [""] * n
    for kind in (SPANISH, ENGLISH):
        members = np.flatnonzero(culture == kind)
        firsts = _listed(SPANISH_FIRST_NAMES if kind == SPANISH else ENGLISH_FIRST_NAMES)
        family = _surnames(kind)
        first = _draw(rng, _ranked(len(firsts), exponent=0.9, offset=4), len(members))
        p_family = _ranked(len(family), exponent=1.1, offset=6)
        one = _draw(rng, p_family, len(members))
        two = _draw(rng, p_family, len(members))
        # Spanish names carry both parents' surnames, mostly; a few names are hyphenated.
        both = rng.random(len(members)) < (0.85 if kind == SPANISH else 0.0)
        hyphen = rng.random(len(members)) < (0.02 if kind == SPANISH else 0.03)
        for at, member in enumerate(members.tolist()):
            given = firsts[first[at]]
            surname = family[one[at]]
            if hyphen[at] and one[at] != two[at]:
                surname = f"{surname}-{family[two[at]]}"
            rest = f" {family[two[at]]}" if both[at] and not hyphen[at] else ""
            names[member] = f"{given} {surname}{rest}"
            first_words[member] = given.split()[0]
            surnames[member] = surname
    return names, first_words, surnames


def _organizations(rng: np.random.Generator, count: int) -> tuple[list[str], IntArray, list[str]]:
    """`count` organizations with names unique once folded: their names, cultures, sectors."""
    prefixes, stems = (part.split() for part in BRAND_PARTS)
    brands = [p + s for p in prefixes for s in stems]
    cities = {kind: [c.split(", ")[0] for c in _listed(CITIES[kind], ";")] for kind in CITIES}
    sector_names = list(SECTORS)
    p_sector = _ranked(len(sector_names), exponent=0.6, offset=3)
    surnames = {kind: _surnames(kind) for kind in (SPANISH, ENGLISH)}
    found: dict[str, tuple[str, int, str]] = {}
    while len(found) < count:
        batch = count - len(found) + 64
        kinds = (rng.random(batch) < 0.45).astype(np.int64)
        sectors = _draw(rng, p_sector, batch)
        forms = rng.random(batch)
        picks = rng.integers(0, 1 << 30, (batch, 4))
        for kind, sector_at, form, pick in zip(
            kinds.tolist(), sectors.tolist(), forms.tolist(), picks.tolist(), strict=True
        ):
            sector = sector_names[sector_at]
            words = _listed(SECTORS[sector]) if SECTORS[sector] else []
            parts = {
                "brand": brands[pick[0] % len(brands)],
                "city": cities[kind][pick[1] % len(cities[kind])],
                "surname": surnames[kind][pick[2] % 120],
                "other": surnames[kind][pick[3] % 120],
                "word": words[pick[3] % len(words)] if words else "",
                "legal": LEGAL_FORMS[kind][pick[2] % len(LEGAL_FORMS[kind])],
            }
            if (sector, kind) in SECTOR_FORMS:
                template = SECTOR_FORMS[(sector, kind)][int(form < 0.5)]
            else:
                shares = np.cumsum([share for share, _ in COMPANY_FORMS[kind]])
                at = min(int(np.searchsorted(shares, form)), len(shares) - 1)
                template = COMPANY_FORMS[kind][at][1]
            name = template.format(**parts)
            found.setdefault(
                fold(name), (name, kind, "Healthcare" if sector == "Hospitals" else sector)
            )
            if len(found) == count:
                break
    ordered = list(found.values())
    return (
        [name for name, _, _ in ordered],
        np.array([kind for _, kind, _ in ordered], dtype=np.int64),
        [sector for _, _, sector in ordered],
    )


def _schools(rng: np.random.Generator, count: int) -> tuple[list[str], IntArray, IntArray]:
    """At most `count` schools: their names, cultures, and whether each is a university."""
    rows: list[tuple[str, int, int]] = []
    for kind in (SPANISH, ENGLISH):
        cities = [c.split(", ")[0] for c in _listed(CITIES[kind], ";")]
        for tier, forms in enumerate(SCHOOL_FORMS[kind]):
            # Big cities have every kind of university, smaller ones the first kinds only.
            for city in cities[: max(8, len(cities) // (tier + 1))]:
                rows.extend((form.format(city=city), kind, 1) for form in forms)
        rows.extend(
            (form.format(city=city), kind, 0) for city in cities for form in HIGH_SCHOOL_FORMS[kind]
        )
    unique = list({fold(name): (name, kind, tier) for name, kind, tier in rows}.values())
    universities = [row for row in unique if row[2]]
    others = [row for row in unique if not row[2]]
    # All of them when there is room; else a random half of each kind, in their order.
    wanted = min(len(universities), max(count // 2, count - len(others)))
    chosen = [
        rows[at]
        for rows, keep in ((universities, wanted), (others, count - wanted))
        for at in sorted(rng.permutation(len(rows))[:keep].tolist())
    ]
    return (
        [name for name, _, _ in chosen],
        np.array([kind for _, kind, _ in chosen], dtype=np.int64),
        np.array([tier for _, _, tier in chosen], dtype=np.int64),
    )


def _drawn_places(
    rng: np.random.Generator,
    place_culture: IntArray,
    wanted_culture: IntArray,
    weights: npt.NDArray[np.float64],
) -> IntArray:
    """One place (index) for each entry, of the wanted culture 85% of the time."""
    culture = np.where(rng.random(len(wanted_culture)) < 0.85, wanted_culture, 1 - wanted_culture)
    chosen = np.empty(len(wanted_culture), dtype=np.int64)
    for kind in (SPANISH, ENGLISH):
        places = np.flatnonzero(place_culture == kind)
        if len(places) == 0:
            places = np.arange(len(place_culture))
        entries = np.flatnonzero(culture == kind)
        p = weights[places] / weights[places].sum()
        chosen[entries] = places[_draw(rng, p, len(entries))]
    return chosen


def _careers(
    rng: np.random.Generator, culture: IntArray, organization_culture: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, list[str], IntArray]:
    """Positions: member index, organization index, start, end (0 open), title; and each
    member's first year at work."""
    n = len(culture)
    per_member = rng.choice(np.arange(1, 5), size=n, p=[0.3, 0.35, 0.22, 0.13])
    member = np.repeat(np.arange(n), per_member)
    years = rng.geometric(0.3, len(member)) + rng.integers(0, 3, len(member))
    # Where each member's run of positions starts in the arrays, and how long the career is.
    first = np.concatenate(([0], np.cumsum(per_member)[:-1]))
    career = np.add.reduceat(years, first)
    latest_start = np.maximum(FIRST_YEAR, THIS_YEAR - career)
    began = FIRST_YEAR + (rng.random(n) * (latest_start - FIRST_YEAR + 1)).astype(np.int64)
    earlier = np.cumsum(years) - years  # years of the positions before, the member's and others'
    before = earlier - np.repeat(earlier[first], per_member)
    start = np.minimum(np.repeat(began, per_member) + before, THIS_YEAR)
    end = np.minimum(start + years, THIS_YEAR)
    last = np.zeros(len(member), dtype=bool)
    last[np.cumsum(per_member) - 1] = True
    end = np.where(last & (rng.random(len(member)) < 0.75), 0, end)
    weights = _ranked(len(organization_culture), exponent=1.0, offset=8)
    weights = weights[rng.permutation(len(weights))]
    organization = _drawn_places(rng, organization_culture, culture[member], weights)
    titles = {kind: _listed(TITLES[kind]) for kind in TITLES}
    title_culture = np.where(rng.random(len(member)) < 0.85, culture[member], 1 - culture[member])
    picks = rng.integers(0, 1 << 30, len(member))
    title = [
        titles[kind][pick % len(titles[kind])]
        for kind, pick in zip(title_culture.tolist(), picks.tolist(), strict=True)
    ]
    return member, organization, start, end, title, began


def _studies(
    rng: np.random.Generator,
    culture: IntArray,
    began: IntArray,
    school_culture: IntArray,
    university: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray, list[str]]:
    """Studies: a university before work for everyone, and for some a high school before it or
    a master's after it. Member index, school index, start, end (0 still studying), degree."""
    n = len(culture)
    weights = _ranked(len(school_culture), exponent=0.9, offset=6)
    weights = weights[rng.permutation(len(weights))]
    universities = np.flatnonzero(university == 1)
    high_schools = np.flatnonzero(university == 0)
    if len(high_schools) == 0:
        high_schools = universities
    members = np.arange(n)
    second = rng.random(n) < 0.4
    high_school = second & (rng.random(n) < 0.5)
    master = second & ~high_school
    member = np.concatenate((members, members[high_school], members[master]))
    kinds = np.concatenate(
        (np.zeros(n), np.ones(high_school.sum()), np.full(master.sum(), 2))
    ).astype(np.int64)
    start = np.concatenate(
        (began - 4 - rng.integers(0, 2, n), began[high_school] - 10, began[master] + 1)
    )
    end = np.concatenate((began, began[high_school] - 4, began[master] + 2))
    end = np.where(end > THIS_YEAR, 0, end)
    start = np.minimum(start, THIS_YEAR)
    school = np.empty(len(member), dtype=np.int64)
    for kind, places in ((0, universities), (1, high_schools), (2, universities)):
        entries = np.flatnonzero(kinds == kind)
        sub = school_culture[places]
        school[entries] = places[_drawn_places(rng, sub, culture[member[entries]], weights[places])]
    degree_lists = {
        kind: tuple(_listed(text) for text in DEGREES[kind]) for kind in (SPANISH, ENGLISH)
    }
    picks = rng.integers(0, 1 << 30, len(member))
    degree = []
    for at, kind, pick in zip(school.tolist(), kinds.tolist(), picks.tolist(), strict=True):
        choices = degree_lists[int(school_culture[at])][1 if kind == 1 else 0]
        degree.append(choices[pick % len(choices)])
    return member, school, start, end, degree


def _connections(
    rng: np.random.Generator,
    *,
    size: int,
    entry_member: IntArray,
    entry_place: IntArray,
    entry_start: IntArray,
    entry_end: IntArray,
) -> tuple[IntArray, IntArray]:
    """Connections (member ids, low first, each pair once, in order): mostly between members who
    were at the same organization or school in overlapping years, the rest between members who
    shared nothing; how many each member has is heavy-tailed."""
    end = np.where(entry_end == 0, THIS_YEAR, entry_end)
    order = np.lexsort((entry_start, entry_place))
    place, member, start, end = (a[order] for a in (entry_place, entry_member, entry_start, end))
    sociable = rng.lognormal(-0.32, 0.8, size)  # mean 1
    count = rng.poisson(COLLEAGUE_RATE * sociable[member])
    source = np.repeat(np.arange(len(member)), count)
    # Someone who started at the same place at about the same time: a neighbour in the order.
    step = rng.geometric(0.08, len(source)) * np.where(rng.random(len(source)) < 0.5, -1, 1)
    target = source + step
    inside = (target >= 0) & (target < len(member))
    source, target = source[inside], target[inside]
    overlapped = (
        (place[source] == place[target])
        & (start[source] <= end[target])
        & (start[target] <= end[source])
    )
    a, b = member[source[overlapped]], member[target[overlapped]]
    strangers = int(len(a) * RANDOM_SHARE / (1 - RANDOM_SHARE))
    a = np.concatenate((a, _draw(rng, sociable / sociable.sum(), strangers)))
    b = np.concatenate((b, rng.integers(0, size, strangers)))
    low, high = np.minimum(a, b) + 1, np.maximum(a, b) + 1
    keys = np.unique(low[low != high] * (size + 1) + high[low != high])
    return keys // (size + 1), keys % (size + 1)


def generated_community(size: int, rng: np.random.Generator) -> Community:
    """A community of `size` members, the same for the same seed."""
    culture = (rng.random(size) < 0.4).astype(np.int64)
    names, first_words, surnames = _names(rng, culture)
    organizations, organization_culture, organization_sector = _organizations(
        rng, max(40, size // 25)
    )
    schools, school_culture, university = _schools(rng, max(30, min(3000, size // 100)))
    p_member, p_organization, p_start, p_end, p_title, began = _careers(
        rng, culture, organization_culture
    )
    s_member, s_school, s_start, s_end, s_degree = _studies(
        rng, culture, began, school_culture, university
    )
    # Where members live: a city of their culture's countries, mostly.
    lives = np.where(rng.random(size) < 0.95, culture, 1 - culture)
    cities = {kind: _listed(CITIES[kind], ";") for kind in CITIES}
    locations: list[str] = [""] * size
    for kind in (SPANISH, ENGLISH):
        members = np.flatnonzero(lives == kind)
        drawn = _draw(rng, _ranked(len(cities[kind]), exponent=1.0, offset=2), len(members))
        for member, city in zip(members.tolist(), drawn.tolist(), strict=True):
            locations[member] = cities[kind][city]
    # The headline and sector come from the latest position.
    latest = np.searchsorted(p_member, np.arange(size), side="right") - 1
    english_titles = set(_listed(TITLES[ENGLISH]))
    forms = rng.random(size).tolist()
    headlines: list[str] = []
    sectors: list[str] = []
    for at, form in zip(latest.tolist(), forms, strict=True):
        title = p_title[at]
        organization = organizations[p_organization[at]]
        sector = organization_sector[p_organization[at]]
        sectors.append(sector)
        if form < 0.55 and p_end[at] == 0:
            headlines.append(f"{title} {'at' if title in english_titles else 'en'} {organization}")
        elif form < 0.8:
            headlines.append(title)
        elif form < 0.9:
            headlines.append(f"{title} · {sector}")
        else:
            headlines.append("")
    entry_member = np.concatenate((p_member, s_member))
    entry_place = np.concatenate((p_organization, len(organizations) + s_school))
    low, high = _connections(
        rng,
        size=size,
        entry_member=entry_member,
        entry_place=entry_place,
        entry_start=np.concatenate((p_start, s_start)),
        entry_end=np.concatenate((p_end, s_end)),
    )
    return Community(
        names=names,
        first_names=first_words,
        surnames=surnames,
        culture=culture,
        headlines=headlines,
        locations=locations,
        sectors=sectors,
        organizations=organizations,
        schools=schools,
        position_member=p_member,
        position_organization=p_organization,
        position_title=p_title,
        position_start=p_start,
        position_end=p_end,
        study_member=s_member,
        study_school=s_school,
        study_degree=s_degree,
        study_start=s_start,
        study_end=s_end,
        low=low,
        high=high,
    )


def old_search_texts(community: Community) -> tuple[list[str], list[str]]:
    """Each member's folded name, and the folded text the search before issue 15 looked in:
    name, headline, and the organizations and schools on the profile, joined with " | " (as
    `identity.service.search_text_of` made it from the profiles area's place keys)."""
    folded = functools.cache(fold)
    places: list[list[str]] = [[] for _ in range(community.size)]
    organization_keys = [fold(name) for name in community.organizations]
    school_keys = [fold(name) for name in community.schools]
    for member, organization in zip(
        community.position_member.tolist(), community.position_organization.tolist(), strict=True
    ):
        places[member].append(organization_keys[organization])
    for member, school in zip(
        community.study_member.tolist(), community.study_school.tolist(), strict=True
    ):
        places[member].append(school_keys[school])
    name_keys = [folded(name) for name in community.names]
    texts = [
        " | ".join(part for part in (key, folded(headline), *sorted(set(keys))) if part)
        for key, headline, keys in zip(name_keys, community.headlines, places, strict=True)
    ]
    return name_keys, texts


# Loading


# The member table's columns the load fills, in order.
MEMBER_COLUMNS = (
    "id",
    "email",
    "password_hash",
    "name",
    "name_key",
    "headline",
    "location",
    "sector",
    "about",
    "locale",
    "created_at",
    "updated_at",
)
COPY_BATCH = 200_000


def _copy(
    cursor: Any, table: str, columns: Sequence[str], rows: Iterator[Sequence[object]]
) -> None:
    """COPY rows into a table, in batches; None is NULL. The generated text has no tabs,
    newlines or backslashes, so the values need no escaping."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        batch = io.StringIO()
        for number, row in enumerate(rows, 1):
            batch.write("\t".join("\\N" if value is None else str(value) for value in row))
            batch.write("\n")
            if number % COPY_BATCH == 0:
                copy.write(batch.getvalue())
                batch = io.StringIO()
        copy.write(batch.getvalue())


def _months(rng: np.random.Generator, count: int) -> list[int | None]:
    """Months as people fill them in: most give one, some leave it out."""
    months = rng.integers(1, 13, count)
    blanks = rng.random(count) < 0.2
    return [None if blank else int(month) for month, blank in zip(months, blanks, strict=True)]


def load(url: str, community: Community, name_keys: list[str]) -> None:
    """The community into the app's tables, with COPY, in one transaction."""
    rng = np.random.default_rng(len(community.names))
    raw = sa.create_engine(url).raw_connection()
    try:
        cursor = raw.cursor()
        # The rows are consistent as made: skip the foreign keys' checks, row by row the most
        # of the load's time.
        cursor.execute("SET session_replication_role = replica")
        for table, names in (
            ("organization", community.organizations),
            ("school", community.schools),
        ):
            _copy(
                cursor,
                table,
                ("id", "name", "name_key", "created_at"),
                ((at, name, fold(name), NOW) for at, name in enumerate(names, 1)),
            )
        size = community.size
        # Column by column, so that leaving one out (see MEMBER_COLUMNS) is one line.
        values: dict[str, Sequence[object]] = {
            "id": range(1, size + 1),
            "email": [f"m{member}@bench.invalid" for member in range(1, size + 1)],
            "password_hash": ["!"] * size,
            "name": community.names,
            "name_key": name_keys,
            "headline": community.headlines,
            "location": community.locations,
            "sector": community.sectors,
            "about": [""] * size,
            "locale": ["en" if c == ENGLISH else "es" for c in community.culture.tolist()],
            "created_at": [NOW] * size,
            "updated_at": [NOW] * size,
        }
        _copy(
            cursor, "member", MEMBER_COLUMNS, zip(*(values[c] for c in MEMBER_COLUMNS), strict=True)
        )
        for table, place_column, member, place, label, start, end in (
            (
                "position",
                "organization_id",
                community.position_member,
                community.position_organization,
                community.position_title,
                community.position_start,
                community.position_end,
            ),
            (
                "education",
                "school_id",
                community.study_member,
                community.study_school,
                community.study_degree,
                community.study_start,
                community.study_end,
            ),
        ):
            count = len(member)
            start_month = _months(rng, count)
            end_month = _months(rng, count)
            ends = [None if year == 0 else year for year in end.tolist()]
            _copy(
                cursor,
                table,
                (
                    "id",
                    "member_id",
                    place_column,
                    "title" if table == "position" else "degree",
                    "start_year",
                    "start_month",
                    "end_year",
                    "end_month",
                    "created_at",
                ),
                (
                    (
                        at,
                        m + 1,
                        p + 1,
                        text,
                        s,
                        sm,
                        e,
                        # A period within one year ends in a month no earlier than it starts.
                        None
                        if e is None
                        else (em if e > s or sm is None or em is None else max(sm, em)),
                        NOW,
                    )
                    for at, m, p, text, s, sm, e, em in zip(
                        range(1, count + 1),
                        member.tolist(),
                        place.tolist(),
                        label,
                        start.tolist(),
                        start_month,
                        ends,
                        end_month,
                        strict=True,
                    )
                ),
            )
        _copy(
            cursor,
            "connection",
            ("low_id", "high_id", "created_at", "low_tier", "high_tier", "low_note", "high_note"),
            (
                (low, high, NOW, "regular", "regular", "", "")
                for low, high in zip(community.low.tolist(), community.high.tolist(), strict=True)
            ),
        )
        for table in ("member", "organization", "school", "position", "education"):
            # The next id the app gives follows the loaded ones.
            cursor.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")  # noqa: S608
        raw.commit()
    finally:
        raw.close()


# The benchmark's own tables: the two baselines' search tables, and what the database holds.

BENCH = sa.MetaData()
LIKE_TABLE = sa.Table(
    "bench_like",
    BENCH,
    sa.Column("member_id", sa.BigInteger, primary_key=True),
    sa.Column("name_key", sa.Text, nullable=False, index=True),
    sa.Column("search_text", sa.Text, nullable=False),
)
FULL_TEXT_TABLE = sa.Table(
    "bench_full_text",
    BENCH,
    sa.Column("member_id", sa.BigInteger, primary_key=True),
    sa.Column("document", TSVECTOR, nullable=False),
)
RUN_TABLE = sa.Table(
    "bench_run",
    BENCH,
    sa.Column("members", sa.Integer, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("generator", sa.Integer, nullable=False),
    # The migration the search index was built at ("" before it is built).
    sa.Column("indexed_at", sa.Text, nullable=False),
)


def build_baselines(url: str, name_keys: list[str], texts: list[str]) -> tuple[float, float]:
    """The LIKE table (the old folded text, a btree on the name only, as the member table had)
    and the full-text table (a stored tsvector of the same text, GIN-indexed); seconds each."""
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        BENCH.create_all(connection, tables=[LIKE_TABLE])
        cursor = connection.connection.cursor()
        _copy(
            cursor,
            "bench_like",
            ("member_id", "name_key", "search_text"),
            (
                (member, key, text)
                for member, (key, text) in enumerate(zip(name_keys, texts, strict=True), 1)
            ),
        )
        connection.exec_driver_sql("ANALYZE bench_like")
    like_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE bench_full_text AS SELECT member_id, "
            "to_tsvector('simple', search_text) AS document FROM bench_like"
        )
        connection.exec_driver_sql("ALTER TABLE bench_full_text ADD PRIMARY KEY (member_id)")
        connection.exec_driver_sql(
            "CREATE INDEX bench_full_text_document ON bench_full_text USING gin (document)"
        )
        connection.exec_driver_sql("ANALYZE bench_full_text")
    engine.dispose()
    return like_seconds, time.perf_counter() - started


def prepared(url: str, *, members: int, seed: int) -> str | None:
    """Whether the database holds this community already: None when not, else the migration
    its search index was built at ("" before it was)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("bench_run"):
                return None
            row = connection.execute(sa.select(RUN_TABLE)).first()
            if row is None or (row.members, row.seed, row.generator) != (
                members,
                seed,
                GENERATOR_VERSION,
            ):
                return None
            loaded = connection.scalar(sa.text("SELECT count(*) FROM member"))
            return str(row.indexed_at) if loaded == members else None
    finally:
        engine.dispose()


def mark_prepared(url: str, *, members: int, seed: int, indexed_at: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        BENCH.create_all(connection, tables=[RUN_TABLE])
        connection.execute(sa.delete(RUN_TABLE))
        connection.execute(
            sa.insert(RUN_TABLE).values(
                members=members, seed=seed, generator=GENERATOR_VERSION, indexed_at=indexed_at
            )
        )
    engine.dispose()


def emptied(url: str) -> None:
    """The benchmark's database, created when missing and emptied when not."""
    target = sa.make_url(url)
    name = target.database or ""
    if name == "postgres" or name.startswith("template"):
        sys.exit(f"refusing to empty the database {name!r}: give the benchmark one of its own")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


# Queries


@dataclass(frozen=True)
class Wanted:
    """A query's filter, as the search page's form sends it."""

    organization: str | None = None
    location: str | None = None
    degree: int | None = None

    def __str__(self) -> str:
        if self.organization:
            return f"organization={self.organization}"
        if self.location:
            return f"location={self.location}"
        return f"degree={self.degree}" if self.degree else ""


@dataclass(frozen=True)
class Query:
    kind: str
    viewer: int
    text: str
    wanted: Wanted = Wanted()


@dataclass(frozen=True)
class Labelled:
    """A query naming a colleague of the viewer's, who should come in the top 5."""

    form: str
    query: Query
    colleague: int
    degree: int | None  # from the viewer to the colleague


KINDS = ("one word", "two words", "one or two words + filter", "prefix as you type")
FORMS = (
    "full name",
    "surname + organization",
    "full name with a typo",
    "first name + surname prefix",
)
LEGAL_WORDS = {fold(form) for forms in LEGAL_FORMS.values() for form in forms}


def typed(text: str, how: float) -> str:
    """The text as a person types it: as written, in lower case, or without accents too."""
    if how < 0.5:
        return text
    return text.lower() if how < 0.8 else fold(text)


def whole(text: str) -> str:
    """A query of whole words: a space after the last one, so that it is not taken as a prefix
    (the interface takes a last word with no space after it as being typed)."""
    return text + " "


class Sampler:
    """Draws queries and labelled queries from the community, with the degrees of the graph."""

    def __init__(self, community: Community, graph: GraphIndex, rng: np.random.Generator) -> None:
        self.c = community
        self.graph = graph
        self.rng = rng
        ends = np.concatenate((community.position_end, community.study_end))
        self.entry_member = np.concatenate((community.position_member, community.study_member)) + 1
        self.entry_place = np.concatenate(
            (
                community.position_organization,
                len(community.organizations) + community.study_school,
            )
        )
        self.entry_start = np.concatenate((community.position_start, community.study_start))
        self.entry_end = np.where(ends == 0, THIS_YEAR, ends)
        self.order = np.lexsort((self.entry_start, self.entry_place))
        self.where = np.empty(len(self.order), dtype=np.int64)
        self.where[self.order] = np.arange(len(self.order))

    def member(self) -> int:
        return int(self.rng.integers(1, self.c.size + 1))

    def how(self) -> float:
        return float(self.rng.random())

    def first_and_surname(self, member: int) -> str:
        return f"{self.c.first_names[member - 1]} {self.c.surnames[member - 1]}"

    def organization_word(self) -> str:
        """The longest word of the organization of a random position: what one types to find
        the people of a company."""
        position = int(self.rng.integers(0, len(self.c.position_member)))
        name = self.c.organizations[int(self.c.position_organization[position])]
        return max(name.split(), key=lambda word: (len(fold(word)), word))

    def queries(self, kind: str, count: int) -> list[Query]:
        made: list[Query] = []
        while len(made) < count:
            viewer = self.member()
            member = self.member()
            if kind == "one word":
                word = self.c.surnames[member - 1] if len(made) % 2 else self.organization_word()
                made.append(Query(kind, viewer, whole(typed(word, self.how()))))
            elif kind == "two words":
                text = typed(self.first_and_surname(member), self.how())
                made.append(Query(kind, viewer, whole(text)))
            elif kind == "prefix as you type":
                surname = self.c.surnames[member - 1]
                letters = int(self.rng.integers(2, 6))
                if len(made) % 2:
                    text = surname[:letters]
                else:
                    letters = min(letters, 4)
                    text = f"{self.c.first_names[member - 1]} {surname[:letters]}"
                if not surname[:letters].isalpha():
                    continue
                made.append(Query(kind, viewer, typed(text, self.how())))
            else:
                found = self.filtered(kind, viewer, len(made) % 3)
                if found is not None:
                    made.append(found)
        return made

    def filtered(self, kind: str, viewer: int, which: int) -> Query | None:
        """A surname at an organization, a name in a location, or a name in the 2nd degree."""
        if which == 0:
            position = int(self.rng.integers(0, len(self.c.position_member)))
            member = int(self.c.position_member[position]) + 1
            organization = self.c.organizations[int(self.c.position_organization[position])]
            text = self.c.surnames[member - 1]
            if self.rng.random() < 0.5:
                text = self.first_and_surname(member)
            return Query(kind, viewer, whole(typed(text, self.how())), Wanted(organization))
        if which == 1:
            member = self.member()
            text = self.first_and_surname(member)
            if self.rng.random() < 0.5:
                text = self.c.surnames[member - 1]
            location = self.c.locations[member - 1]
            return Query(kind, viewer, whole(typed(text, self.how())), Wanted(location=location))
        neighbours = self.graph.neighbours(viewer)
        if len(neighbours) == 0:
            return None
        middle = int(neighbours[self.rng.integers(0, len(neighbours))])
        around = self.graph.neighbours(middle)
        far = int(around[self.rng.integers(0, len(around))])
        if self.graph.degree(viewer, far) != 2:
            return None
        text = typed(self.first_and_surname(far), self.how())
        return Query(kind, viewer, whole(text), Wanted(degree=2))

    def colleague(
        self, *, organization: bool, near: bool
    ) -> tuple[int, int, int, int | None] | None:
        """A viewer, a colleague of theirs (same organization or school, overlapping years), the
        place (an organization's index, or a school's past the organizations) and the degree
        between them; near: 1st or 2nd degree, else farther."""
        entries = len(self.order)
        count = len(self.c.position_member) if organization else entries
        entry = int(self.rng.integers(0, count))
        at = int(self.where[entry])
        window = self.order[max(0, at - 300) : at + 300]
        place = self.entry_place[entry]
        viewer = int(self.entry_member[entry])
        fits = window[
            (self.entry_place[window] == place)
            & (self.entry_start[window] <= self.entry_end[entry])
            & (self.entry_start[entry] <= self.entry_end[window])
            & (self.entry_member[window] != viewer)
        ]
        if len(fits) == 0:
            return None
        colleague = int(self.entry_member[fits[self.rng.integers(0, len(fits))]])
        degree = self.graph.degree(viewer, colleague)
        if (degree in (1, 2)) != near:
            return None
        return viewer, colleague, int(place), degree

    def labelled(self, count: int) -> list[Labelled]:
        made: list[Labelled] = []
        while len(made) < count:
            form = FORMS[len(made) % len(FORMS)]
            near = (len(made) // len(FORMS)) % 2 == 0
            found = self.colleague(organization=form == "surname + organization", near=near)
            if found is None:
                continue
            viewer, colleague, place, degree = found
            text = self.naming(form, colleague, place)
            if text is not None:
                made.append(Labelled(form, Query(form, viewer, text), colleague, degree))
        return made

    def naming(self, form: str, colleague: int, place: int) -> str | None:
        """How a person would name the colleague in the search box."""
        name = self.c.names[colleague - 1]
        if form == "full name":
            return whole(typed(name, self.how()))
        if form == "surname + organization":
            organization = self.c.organizations[place]
            words = [w for w in organization.split() if fold(w) not in LEGAL_WORDS]
            return whole(typed(f"{self.c.surnames[colleague - 1]} {' '.join(words)}", self.how()))
        if form == "full name with a typo":
            words = typed(name, self.how()).split()
            long = [at for at, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
            if not long:
                return None
            at = long[int(self.rng.integers(0, len(long)))]
            words[at] = self.mistyped(words[at])
            return whole(" ".join(words))
        surname = self.c.surnames[colleague - 1]
        letters = int(self.rng.integers(2, 5))
        if not surname[:letters].isalpha():
            return None
        return typed(f"{self.c.first_names[colleague - 1]} {surname[:letters]}", self.how())

    def mistyped(self, word: str) -> str:
        """The word with one typo, never in its first letter: a letter changed, two swapped,
        or one dropped."""
        while True:
            at = int(self.rng.integers(1, len(word)))
            how = int(self.rng.integers(0, 3))
            if how == 0:
                letter = "abcdefghijklmnopqrstuvwxyz"[int(self.rng.integers(0, 26))]
                if letter != fold(word[at]):
                    return word[:at] + letter + word[at + 1 :]
            elif how == 1 and at + 1 < len(word) and fold(word[at]) != fold(word[at + 1]):
                return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
            elif how == 2:
                return word[:at] + word[at + 1 :]


# The three systems


@dataclass
class Answer:
    ids: list[int]  # the first page, best first
    total: int | None  # how many match, where the system counts them


class System(Protocol):
    name: str
    slow: bool  # timed on the first `--slow-queries` of each kind only

    def expresses(self, query: Query) -> bool:
        """Whether the system can answer the query with its filter."""
        ...

    def answer(self, db: Session, viewer: Member, query: Query) -> Answer: ...


class VinculoSearch:
    """Our search, as the search page and the API call it."""

    name = OURS
    slow = False

    def expresses(self, query: Query) -> bool:
        return True

    def answer(self, db: Session, viewer: Member, query: Query) -> Answer:
        wanted = query.wanted
        filters = Filters(
            degree=wanted.degree, organization=wanted.organization, location=wanted.location
        )
        page = search_members(db, viewer=viewer, query=query.text, filters=filters, limit=LIMIT)
        return Answer([item.view.member.id for item in page.items], page.total)


def _filtered(statement: sa.Select[Any], wanted: Wanted) -> sa.Select[Any]:
    """A baseline's statement with the filters SQL can express: an organization on the member's
    career, a location."""
    if wanted.organization is not None:
        statement = statement.where(
            sa.exists().where(
                Position.member_id == Member.id,
                Position.organization_id == Organization.id,
                Organization.name_key == fold(wanted.organization),
            )
        )
    if wanted.location is not None:
        statement = statement.where(Member.location == wanted.location)
    return statement


class LikeSearch:
    """The member search before issue 15 (profiles.repository.search_members then): every word
    a substring of the folded text, members blocked either way left out, by name; the page's
    degrees from the graph index."""

    name = "LIKE (before)"
    slow = True  # a scan of every member's text, up to seconds a query

    def expresses(self, query: Query) -> bool:
        return query.wanted.degree is None

    def answer(self, db: Session, viewer: Member, query: Query) -> Answer:
        statement = (
            sa.select(Member)
            .join(LIKE_TABLE, LIKE_TABLE.c.member_id == Member.id)
            .where(~blocked_either_way(viewer.id, Member.id))
        )
        for term in fold(query.text).split():
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(LIKE_TABLE.c.search_text.like(f"%{escaped}%", escape="\\"))
        statement = _filtered(statement, query.wanted).order_by(
            LIKE_TABLE.c.name_key, LIKE_TABLE.c.member_id
        )
        members = list(db.scalars(statement.limit(LIMIT + 1)))
        views = degrees.views_of(db, viewer=viewer, members=members[:LIMIT])
        return Answer([view.member.id for view in views], None)


WORD = re.compile(r"[^\W_]+")


def tsquery_text(typed_text: str) -> str | None:
    """The folded words as a tsquery, all required, the last a prefix while being typed (no
    space after it), as our search reads a query."""
    words = WORD.findall(fold(typed_text))
    if not words:
        return None
    lexemes = [f"'{word}'" for word in words]
    if not typed_text[-1:].isspace():
        lexemes[-1] += ":*"
    return " & ".join(lexemes)


class FullTextSearch:
    """PostgreSQL's own full-text search on the same text, ranked by `ts_rank` (word counts, no
    proximity in the network, no typos), with the count a page shows."""

    name = "PostgreSQL full-text"
    slow = False

    def expresses(self, query: Query) -> bool:
        return query.wanted.degree is None

    def answer(self, db: Session, viewer: Member, query: Query) -> Answer:
        text = tsquery_text(query.text)
        if text is None:
            return Answer([], 0)
        tsquery = sa.func.to_tsquery("simple", text)
        document = FULL_TEXT_TABLE.c.document
        conditions = (document.bool_op("@@")(tsquery), ~blocked_either_way(viewer.id, Member.id))
        joined = sa.join(FULL_TEXT_TABLE, Member, FULL_TEXT_TABLE.c.member_id == Member.id)
        page = _filtered(sa.select(Member).select_from(joined).where(*conditions), query.wanted)
        page = page.order_by(sa.func.ts_rank(document, tsquery).desc(), Member.id).limit(LIMIT)
        members = list(db.scalars(page))
        count = _filtered(
            sa.select(sa.func.count()).select_from(joined).where(*conditions), query.wanted
        )
        total = int(db.scalar(count) or 0)
        views = degrees.views_of(db, viewer=viewer, members=members)
        return Answer([view.member.id for view in views], total)


def answered(
    database: Database, system: System, queries: Sequence[Query]
) -> tuple[list[float], list[Answer | None]]:
    """Each query in a read-only unit of work of its own, timed from the search on (a request
    knows its member before it searches); None for a query the system cannot express."""
    samples: list[float] = []
    answers: list[Answer | None] = []
    for query in queries:
        if not system.expresses(query):
            answers.append(None)
            continue
        with database.unit_of_work(write=False) as db:
            viewer = db.get_one(Member, query.viewer)
            started = time.perf_counter()
            answer = system.answer(db, viewer, query)
            samples.append(time.perf_counter() - started)
        answers.append(answer)
    return samples, answers


@contextmanager
def counted_sql_degrees() -> Iterator[list[int]]:
    """Counts the answers the network's SQL fallback gives for degrees and mutual connections
    (none while the graph index answers)."""
    calls = [0]
    names = ("degrees_from", "mutual_counts", "mutual_connection_ids", "neighbour_ids")
    originals = {name: getattr(network_repository, name) for name in names}

    def counting(original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            return original(*args, **kwargs)

        return counted

    for name, original in originals.items():
        setattr(network_repository, name, counting(original))
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(network_repository, name, original)


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# The run


@dataclass
class Report:
    members: int
    queries: int
    slow_queries: int
    seed: int
    community: Community
    stages: list[tuple[str, float]] = field(default_factory=list)
    machine: str = ""
    index_answered: bool = False
    sql_degree_calls: int = 0
    latency: dict[tuple[str, str], tuple[list[float], list[Answer | None]]] = field(
        default_factory=dict
    )
    queries_of: dict[str, list[Query]] = field(default_factory=dict)
    relevance: dict[str, list[int | None]] = field(default_factory=dict)  # rank of the colleague
    labelled: list[Labelled] = field(default_factory=list)


def machine(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        version = connection.scalar(sa.text("SHOW server_version"))
        buffers = connection.scalar(sa.text("SHOW shared_buffers"))
        workers = connection.scalar(sa.text("SHOW max_parallel_workers_per_gather"))
    engine.dispose()
    return (
        f"PostgreSQL {version} (shared_buffers {buffers}, {workers} parallel workers per "
        f"query), Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )


def revision(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    return str(found)


def vacuumed(url: str) -> None:
    """Statistics and visibility maps as autovacuum keeps them on a database in use."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def prepare(url: str, args: argparse.Namespace, report: Report) -> tuple[Database, NetworkIndex]:
    """The database holding the community, the graph index and the search index; from a kept
    database, only what it lacks."""
    kept = prepared(url, members=args.members, seed=args.seed) if args.keep else None
    if kept is None:
        emptied(url)
        migrations.upgrade(url)
        started = time.perf_counter()
        name_keys, texts = old_search_texts(report.community)
        load(url, report.community, name_keys)
        report.stages.append(("loaded with COPY", time.perf_counter() - started))
        like_seconds, full_text_seconds = build_baselines(url, name_keys, texts)
        report.stages.append(("LIKE table built", like_seconds))
        report.stages.append(("full-text table and its GIN index built", full_text_seconds))
        mark_prepared(url, members=args.members, seed=args.seed, indexed_at="")
    else:
        report.stages.append(("loaded: kept from the last run", 0.0))
        migrations.upgrade(url)  # a migration newer than the kept database applies to it
    database = Database(url)
    started = time.perf_counter()
    index = NetworkIndex(database)
    index.load()
    database.provide(GRAPH_INDEX, index)
    report.stages.append(("graph index loaded", time.perf_counter() - started))
    now = revision(url)
    if kept != now:
        started = time.perf_counter()
        with database.unit_of_work() as db:
            indexed = reindex_search(db)
        report.stages.append(
            (f"search index built ({indexed:,} members)", time.perf_counter() - started)
        )
        started = time.perf_counter()
        vacuumed(url)
        report.stages.append(("VACUUM ANALYZE", time.perf_counter() - started))
        mark_prepared(url, members=args.members, seed=args.seed, indexed_at=now)
    return database, index


def own_database(url: str | None) -> str | None:
    """The benchmark's database on the server of `url`: one of its own, since the graph
    benchmark empties the database at `url` by dropping the tables it knows of."""
    if not url:
        return None
    return sa.make_url(url).set(database=DATABASE).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=own_database(os.environ.get("VINCULO_BENCH_POSTGRES_URL")),
        help="a PostgreSQL database of the benchmark's own (emptied; created when missing)",
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument(
        "--slow-queries",
        type=int,
        default=100,
        help="queries of each kind for LIKE, which takes up to seconds each",
    )
    parser.add_argument("--labelled", type=int, default=100, help="queries of the labelled set")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse the database when it holds the community of this size and seed",
    )
    args = parser.parse_args()
    url = args.database_url
    if not url:
        sys.exit(
            "benchmarks/search.py needs PostgreSQL: set VINCULO_BENCH_POSTGRES_URL (it works in "
            f"the database {DATABASE} on that server) or pass --database-url (a database of "
            "its own: it is emptied)"
        )
    if sa.make_url(url).get_backend_name() != "postgresql":
        sys.exit(f"benchmarks/search.py runs on PostgreSQL only, not on {url}")
    try:
        emptied_target = sa.make_url(url).set(database="postgres")
        sa.create_engine(emptied_target).connect().close()
    except sa.exc.OperationalError:
        sys.exit(f"PostgreSQL does not answer at {url}")

    started = time.perf_counter()
    community = generated_community(args.members, np.random.default_rng(args.seed))
    report = Report(args.members, args.queries, args.slow_queries, args.seed, community)
    report.stages.append(("generated", time.perf_counter() - started))
    database, index = prepare(url, args, report)
    report.machine = machine(url)

    sampler = Sampler(community, index.graph, np.random.default_rng(args.seed + 1))
    query_sets = {kind: sampler.queries(kind, args.queries) for kind in KINDS}
    labelled = sampler.labelled(args.labelled)
    warm_up = [query for kind in KINDS for query in sampler.queries(kind, 5)]
    systems: list[System] = [VinculoSearch(), LikeSearch(), FullTextSearch()]
    with database.unit_of_work(write=False) as db:
        report.index_answered = graph_for_reading(db) is not None
    with counted_sql_degrees() as sql_calls:
        for system in systems:
            answered(database, system, warm_up)
        for kind, queries in query_sets.items():
            report.queries_of[kind] = queries
            for system in systems:
                timed = queries[: args.slow_queries] if system.slow else queries
                report.latency[(kind, system.name)] = answered(database, system, timed)
        for system in systems:
            _, answers = answered(database, system, [item.query for item in labelled])
            report.relevance[system.name] = [
                None
                if answer is None or item.colleague not in answer.ids[:LIMIT]
                else answer.ids.index(item.colleague)
                for item, answer in zip(labelled, answers, strict=True)
            ]
        report.sql_degree_calls = sql_calls[0]
    report.labelled = labelled
    index.stop()
    database.dispose()
    print_report(report, [system.name for system in systems])


def _share(ranks: Sequence[int | None]) -> str:
    found = sum(1 for rank in ranks if rank is not None and rank < TOP)
    return f"{100 * found / len(ranks):.0f}%" if ranks else "—"


DESCRIPTIONS = {
    OURS: (
        f"`profiles.service.search_members(db, viewer=…, query=…, filters=…, limit={LIMIT})`, "
        "facets included"
    ),
    "LIKE (before)": (
        "the statement of the search before issue 15 over a table of the old folded text (a "
        "btree on the name only, as the member table had), by name, 21 rows"
    ),
    "PostgreSQL full-text": (
        "`to_tsvector('simple', …)` of the same text, stored and GIN-indexed, "
        f"`@@ to_tsquery(…)` by `ts_rank`, {LIMIT} rows and a `count(*)`"
    ),
}


def _shown(query: Query) -> str:
    return f"`{query.text!r}`" + (f" with {query.wanted}" if str(query.wanted) else "")


def print_report(report: Report, systems: list[str]) -> None:
    c = report.community
    print(
        f"## Member search — {report.members:,} generated members, {report.queries} queries "
        f"per kind ({min(report.slow_queries, report.queries)} for LIKE), seed {report.seed}\n"
    )
    print(f"{report.machine}.\n")
    print(
        f"- the community: {c.size:,} members, {len(c.organizations):,} organizations, "
        f"{len(c.schools):,} schools, {len(c.position_member):,} positions, "
        f"{len(c.study_member):,} studies, {len(c.low):,} connections "
        f"({2 * len(c.low) / c.size:.1f} per member)"
    )
    print("- " + "; ".join(f"{what} in {seconds:.1f} s" for what, seconds in report.stages))
    print(
        f"- degrees came from the graph index: {'yes' if report.index_answered else 'NO'} "
        f"(the SQL fallback answered {report.sql_degree_calls} times)"
    )
    print("- each query in a read-only unit of work of its own, timed from the search on:")
    for system in systems:
        print(f"  - {system}: {DESCRIPTIONS[system]}")
    print()
    print("| query kind | system | queries | p50 ms | p99 ms | median total | target | met |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for kind in KINDS:
        for system in systems:
            samples, answers = report.latency[(kind, system)]
            totals = [a.total for a in answers if a is not None and a.total is not None]
            total = f"{int(np.median(totals)):,}" if totals else "—"
            left_out = sum(1 for a in answers if a is None)
            ran = f"{len(samples)}" + (f" ({left_out} left out¹)" if left_out else "")
            p50, p99 = percentile(samples, 0.5) * 1e3, percentile(samples, 0.99) * 1e3
            target, met = "", ""
            if system == OURS:
                goal50, goal99 = TARGETS[kind]
                goals = [f"p99 < {goal99:g}"]
                ok = p99 < goal99
                if goal50 is not None:
                    goals.insert(0, f"p50 < {goal50:g}")
                    ok = ok and p50 < goal50
                target, met = " and ".join(goals), "met" if ok else "MISSED"
            print(
                f"| {kind} | {system} | {ran} | {p50:,.1f} | {p99:,.1f} | {total} | {target} "
                f"| {met} |"
            )
    print()
    print(
        "Both baselines take the degrees of their page from the graph index, as the old search "
        "page did. ¹ They cannot filter by degree: their row leaves out the queries with "
        "`degree=2` (the others filter by organization or location, through joins)."
    )
    print()
    print("Examples of each kind (a space after the last word: a whole word, not a prefix):")
    for kind, queries in report.queries_of.items():
        print(f"- {kind}: {', '.join(_shown(q) for q in queries[:3])}")
    if OURS in systems:
        print(f"\n{OURS}'s slowest queries of each kind:")
        for kind in KINDS:
            samples, _ = report.latency[(kind, OURS)]
            slowest = sorted(zip(samples, report.queries_of[kind], strict=True), reverse=True)
            shown = ", ".join(f"{_shown(q)} {t * 1e3:,.0f} ms" for t, q in slowest[:3])
            print(f"- {kind}: {shown}")
    print()
    print_relevance(report, systems)


def print_relevance(report: Report, systems: list[str]) -> None:
    c = report.community
    labelled = report.labelled
    print(
        f"### Relevance — {len(labelled)} labelled queries: the colleague named in the top {TOP}\n"
    )
    print("| query form | queries | " + " | ".join(systems) + " |")
    print("|---|---:|" + "---:|" * len(systems))
    groups: list[tuple[str, list[int]]] = [
        (form, [at for at, item in enumerate(labelled) if item.form == form]) for form in FORMS
    ]
    groups.append(
        (
            "the colleague 1st or 2nd degree",
            [at for at, item in enumerate(labelled) if item.degree in (1, 2)],
        )
    )
    groups.append(
        (
            "the colleague 3rd degree or beyond",
            [at for at, item in enumerate(labelled) if item.degree not in (1, 2)],
        )
    )
    for name, members in groups:
        shares = [_share([report.relevance[s][at] for at in members]) for s in systems]
        print(f"| {name} | {len(members)} | " + " | ".join(shares) + " |")
    overall = [_share(report.relevance[s]) for s in systems]
    if OURS in systems:
        ranks = report.relevance[OURS]
        found = sum(1 for rank in ranks if rank is not None and rank < TOP) / max(1, len(ranks))
        verdict = "met" if found >= RELEVANCE_TARGET else "MISSED"
        overall[systems.index(OURS)] += f" (target ≥ {100 * RELEVANCE_TARGET:.0f}%: {verdict})"
    print(f"| **all** | {len(labelled)} | " + " | ".join(f"**{s}**" for s in overall) + " |")
    if OURS not in systems:
        return
    misses = [
        (item, rank)
        for item, rank in zip(labelled, report.relevance[OURS], strict=True)
        if rank is None or rank >= TOP
    ]
    if misses:
        print(f"\n{OURS}'s misses (the colleague's place in its first {LIMIT}, if there):")
        for item, rank in misses:
            where = "not in the first page" if rank is None else f"#{rank + 1}"
            degree = item.degree if item.degree is not None else "none"
            print(
                f"- {item.form}: `{item.query.text!r}` for {c.names[item.colleague - 1]} "
                f"(member {item.colleague}, degree {degree}, viewer {item.query.viewer}): {where}"
            )


if __name__ == "__main__":
    main()
