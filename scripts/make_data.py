"""Write the course datasets in data/ (deterministic: same seed, same bytes).

Every set is generated here from hand-written word lists and templates, so the
project owns it outright (see data/README.md). Run it again after editing:

    python scripts/make_data.py

Design rules, from COURSE.md:
- train / validation / test splits, hundreds to a few thousand examples each set;
- some phrasings (templates) appear in the test split only;
- the pretraining corpus of the tiny models (``corpus.txt``) holds the domains (fact
  sentences, training inputs, sentences about the roles and quote subjects in phrasings of
  its own) but never a fine-tuning target, train or test: a fine-tuned tiny model must
  learn its task, not recite a line it memorised in pretraining.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from course_utils.data import write_jsonl

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SEED = 1234

# --------------------------------------------------------------------------- facts
# Plain world knowledge. Stated as sentences in the pretraining corpus, asked
# about by the instruction and multiple-choice sets.
CAPITALS = {
    "France": "Paris", "Spain": "Madrid", "Italy": "Rome", "Germany": "Berlin",
    "Portugal": "Lisbon", "Greece": "Athens", "Poland": "Warsaw", "Austria": "Vienna",
    "Sweden": "Stockholm", "Norway": "Oslo", "Finland": "Helsinki", "Denmark": "Copenhagen",
    "Ireland": "Dublin", "Hungary": "Budapest", "Egypt": "Cairo", "Kenya": "Nairobi",
    "Japan": "Tokyo", "China": "Beijing", "India": "Delhi", "Peru": "Lima",
    "Chile": "Santiago", "Cuba": "Havana", "Canada": "Ottawa", "Mexico": "Mexico City",
    "Russia": "Moscow", "Turkey": "Ankara", "Iran": "Tehran", "Iraq": "Baghdad",
    "Thailand": "Bangkok", "Vietnam": "Hanoi", "Nepal": "Kathmandu", "Ghana": "Accra",
    "Senegal": "Dakar", "Morocco": "Rabat", "Belgium": "Brussels", "Netherlands": "Amsterdam",
    "Switzerland": "Bern", "Czechia": "Prague", "Romania": "Bucharest", "Bulgaria": "Sofia",
    "Serbia": "Belgrade", "Croatia": "Zagreb", "Ukraine": "Kyiv", "Latvia": "Riga",
    "Estonia": "Tallinn", "Lithuania": "Vilnius", "Iceland": "Reykjavik", "Argentina": "Buenos Aires",
    "Colombia": "Bogota", "Venezuela": "Caracas", "Uruguay": "Montevideo", "Australia": "Canberra",
    "Indonesia": "Jakarta", "Philippines": "Manila", "Malaysia": "Kuala Lumpur",
    "Pakistan": "Islamabad", "Ethiopia": "Addis Ababa", "Nigeria": "Abuja",
}
ANTONYMS = {
    "hot": "cold", "big": "small", "fast": "slow", "happy": "sad", "early": "late",
    "open": "closed", "light": "dark", "strong": "weak", "rich": "poor", "young": "old",
    "high": "low", "long": "short", "full": "empty", "hard": "soft", "wet": "dry",
    "loud": "quiet", "clean": "dirty", "thick": "thin", "heavy": "light", "cheap": "expensive",
    "easy": "difficult", "brave": "afraid", "deep": "shallow", "wide": "narrow", "sweet": "sour",
    "true": "false", "safe": "dangerous", "tight": "loose", "smooth": "rough", "near": "far",
    "first": "last", "up": "down", "inside": "outside", "above": "below", "before": "after",
    "win": "lose", "buy": "sell", "push": "pull", "give": "take", "start": "finish",
    "love": "hate", "accept": "refuse", "arrive": "leave", "remember": "forget", "laugh": "cry",
    "friend": "enemy", "day": "night", "summer": "winter", "north": "south", "east": "west",
}
PLURALS = {
    "cat": "cats", "dog": "dogs", "house": "houses", "car": "cars", "tree": "trees",
    "book": "books", "river": "rivers", "city": "cities", "baby": "babies", "party": "parties",
    "story": "stories", "lady": "ladies", "box": "boxes", "bus": "buses", "glass": "glasses",
    "dish": "dishes", "church": "churches", "watch": "watches", "knife": "knives", "leaf": "leaves",
    "wolf": "wolves", "shelf": "shelves", "man": "men", "woman": "women", "child": "children",
    "tooth": "teeth", "foot": "feet", "mouse": "mice", "goose": "geese", "person": "people",
    "sheep": "sheep", "fish": "fish", "deer": "deer", "potato": "potatoes", "tomato": "tomatoes",
    "hero": "heroes", "photo": "photos", "piano": "pianos", "key": "keys", "toy": "toys",
    "day": "days", "boy": "boys", "girl": "girls", "apple": "apples", "table": "tables",
    "chair": "chairs", "window": "windows", "bird": "birds", "horse": "horses", "garden": "gardens",
}
CATEGORIES = {
    "animal": ["lion", "tiger", "zebra", "rabbit", "horse", "eagle", "dolphin", "wolf", "camel",
               "otter", "panda", "parrot", "frog", "whale", "fox"],
    "fruit": ["apple", "banana", "cherry", "mango", "pear", "plum", "grape", "lemon", "peach",
              "melon", "kiwi", "papaya", "apricot", "lime", "fig"],
    "color": ["red", "blue", "green", "yellow", "purple", "orange", "black", "white", "brown",
              "pink", "grey", "violet", "teal", "maroon", "beige"],
    "tool": ["hammer", "saw", "wrench", "drill", "chisel", "shovel", "rake", "pliers", "axe",
             "screwdriver", "ladder", "spanner", "trowel", "file", "clamp"],
    "vehicle": ["car", "bus", "train", "bicycle", "truck", "boat", "plane", "tram", "scooter",
                "ferry", "taxi", "van", "tractor", "canoe", "rocket"],
}

NAMES = ["Anna", "Ben", "Carla", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jack",
         "Kira", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara",
         "Umar", "Vera", "Will", "Xena", "Yusuf", "Zoe"]


def fact_sentences() -> list[str]:
    """Sentences stating every fact above, each in several phrasings (pretraining corpus).

    A model of a million parameters needs to meet a fact several times, in several wordings,
    before it can answer questions about it.
    """
    lines = []
    for country, city in CAPITALS.items():
        lines += [
            f"The capital of {country} is {city}.",
            f"{city} is the capital city of {country}.",
            f"The capital city of {country} is {city}.",
        ]
    for word, opposite in ANTONYMS.items():
        lines += [
            f"The opposite of {word} is {opposite}.",
            f"{word.capitalize()} and {opposite} are opposites.",
            f"The word {word} means the opposite of {opposite}.",
        ]
    for one, many in PLURALS.items():
        lines += [f"One {one}, two {many}.", f"The plural of {one} is {many}.", f"One {one} and many {many}."]
    for category, words in CATEGORIES.items():
        for word in words:
            lines += [
                f"A {word} is a kind of {category}.",
                f"The {word} is a {category}.",
                f"{word.capitalize()} is a {category}.",
            ]
    return lines


# --------------------------------------------------------------------------- act-as
ROLES = [
    ("travel guide", "I will tell you where I am and you will suggest places to visit nearby",
     ["I am in Rome and want to see old churches", "I am in Oslo for one rainy day",
      "I have four hours in Lisbon"]),
    ("English teacher", "you will correct my grammar and explain each mistake simply",
     ["she go to school every days", "I have saw that film yesterday", "me and him is friends"]),
    ("chef", "I will list what is in my kitchen and you will suggest a dinner",
     ["rice, eggs and spinach", "pasta, tomatoes and garlic", "potatoes, cheese and onions"]),
    ("career coach", "you will help me plan the next steps of my working life",
     ["I want to move from sales to design", "I am a nurse who wants to teach",
      "I lost my job last month"]),
    ("storyteller", "you will tell short stories that keep the listener curious",
     ["a story about a lost key", "a story about a brave mouse", "a story about a quiet town"]),
    ("math tutor", "you will explain maths problems step by step without skipping steps",
     ["how to add fractions", "what a percentage is", "how to solve two plus x equals five"]),
    ("fitness trainer", "you will design a weekly exercise plan for my goals",
     ["I want to run five kilometres", "I want stronger arms", "I sit at a desk all day"]),
    ("poet", "you will write short poems about the subjects I give you",
     ["the sea at night", "an old bicycle", "the first snow"]),
    ("interviewer", "you will ask me interview questions one at a time and wait for my answer",
     ["a job as a web developer", "a job as a shop manager", "a job as a nurse"]),
    ("translator", "you will translate my sentences into simple and polite English",
     ["bonjour, comment allez vous", "hola, donde esta la estacion", "guten morgen, wie geht es"]),
    ("debate partner", "you will argue the other side of any opinion I give you",
     ["cities should ban cars", "homework should be optional", "television is a waste of time"]),
    ("tour planner", "you will plan a trip day by day with travel times",
     ["three days in Vienna", "a week by train in Spain", "a weekend in Prague"]),
    ("doctor assistant", "you will ask about symptoms and suggest when to see a doctor",
     ["I have had a headache for two days", "my ankle hurts after running", "I cannot sleep well"]),
    ("financial advisor", "you will give plain advice about saving and spending",
     ["how to save for a holiday", "how to pay back a small loan", "how to plan a monthly budget"]),
    ("gardener", "you will tell me what to plant and when",
     ["a small balcony with sun", "a shady garden", "a vegetable bed for beginners"]),
    ("history teacher", "you will explain historical events in simple words",
     ["why the Roman empire fell", "how the printing press changed Europe", "what the silk road was"]),
    ("music teacher", "you will teach me music theory with short exercises",
     ["what a chord is", "how to read a simple rhythm", "what a major scale is"]),
    ("motivational speaker", "you will give short speeches that give people courage",
     ["starting a new job", "finishing a hard exam", "moving to a new city"]),
    ("librarian", "you will recommend books that match what I like",
     ["funny books about animals", "short mystery novels", "books about space for children"]),
    ("customer support agent", "you will answer customer questions politely and clearly",
     ["my order has not arrived", "how do I change my password", "can I return a gift"]),
    ("comedian", "you will tell light jokes about everyday life",
     ["jokes about cats", "jokes about trains", "jokes about cooking"]),
    ("philosopher", "you will discuss big questions calmly and with examples",
     ["what makes a good life", "is it ever right to lie", "what is time"]),
    ("proofreader", "you will find spelling mistakes in my texts and fix them",
     ["teh cat sat on teh mat", "I recieved you letter", "we was very hapy"]),
    ("mentor for new programmers", "you will explain programming ideas with small examples",
     ["what a loop is", "what a function is", "how to read an error message"]),
    ("interior designer", "you will suggest how to arrange and decorate a room",
     ["a small bedroom", "a bright kitchen", "a quiet reading corner"]),
    ("nutrition coach", "you will suggest simple healthy meals",
     ["breakfast ideas without sugar", "a lunch for work", "snacks for long walks"]),
    ("journalist", "you will write short news reports about the events I describe",
     ["a new bridge opened in town", "the local team won the cup", "a storm closed the schools"]),
    ("language partner", "you will chat with me and gently correct my English",
     ["let us talk about the weather", "let us talk about food", "let us talk about holidays"]),
    ("study planner", "you will make a study timetable before my exams",
     ["two weeks before a biology exam", "one month before final exams", "three days before a test"]),
    ("event organizer", "you will plan events with a checklist and a timeline",
     ["a birthday party for ten children", "a small wedding", "a team lunch"]),
    ("pet trainer", "you will give tips to train pets kindly",
     ["a puppy that bites", "a cat that scratches the sofa", "a dog that barks at night"]),
    ("screenwriter", "you will write short film scenes with dialogue",
     ["two friends meet after ten years", "a detective finds a clue", "a robot learns to cook"]),
    ("tech reviewer", "you will review gadgets and list their good and bad points",
     ["a cheap phone", "wireless headphones", "a smart watch"]),
    ("mindfulness coach", "you will guide me through short calm exercises",
     ["a two minute breathing break", "relaxing before sleep", "calming down after an argument"]),
    ("real estate agent", "you will help me find a home that fits my needs",
     ["a flat near the sea", "a house with a garden for a family", "a cheap room near the university"]),
    ("chess coach", "you will teach me chess ideas with simple positions",
     ["how to open a game", "how to use the knight", "how to finish with a king and rook"]),
    ("quiz master", "you will ask me quiz questions and keep my score",
     ["questions about capitals", "questions about animals", "questions about music"]),
    ("shopping assistant", "you will help me choose what to buy within my budget",
     ["a present for my mother", "running shoes", "a warm winter coat"]),
    ("science explainer", "you will explain science ideas to a ten year old",
     ["why the sky is blue", "how plants eat", "why ice floats"]),
    ("letter writer", "you will write polite letters for me",
     ["a letter to my landlord about a leak", "a thank you letter to a teacher",
      "a letter asking for a day off"]),
]
ACT_TEMPLATES_TRAIN = [
    'I want you to act as a {role}. In this role {duty}. My first request is "{req}".',
    'I want you to act as a {role}. {Duty}. Please reply only as the {role}. My first request is "{req}".',
    'I want you to act as a {role}. Your job: {duty}. Keep answers short. My first request is "{req}".',
]
# Phrasings kept for validation/test only.
ACT_TEMPLATES_HELDOUT = [
    'I want you to act as a {role}. Here is the idea: {duty}. Start with this: "{req}".',
]


def make_act_as(rng: random.Random) -> dict[str, list[dict]]:
    rows = {"train": [], "validation": [], "test": []}
    roles = list(ROLES)
    rng.shuffle(roles)
    heldout_roles = {r[0] for r in roles[:8]}  # these roles only appear in validation/test
    for role, duty, reqs in roles:
        for req in reqs:
            for tpl in ACT_TEMPLATES_TRAIN + ACT_TEMPLATES_HELDOUT:
                text = tpl.format(role=role, duty=duty, Duty=duty[0].upper() + duty[1:], req=req)
                row = {"act": role.title(), "prompt": text}
                if role in heldout_roles or tpl in ACT_TEMPLATES_HELDOUT:
                    rows["validation" if rng.random() < 0.5 else "test"].append(row)
                else:
                    rows["train"].append(row)
    return rows


# --------------------------------------------------------------------------- quotes
Q_SUBJECTS = ["kindness", "courage", "patience", "friendship", "honesty", "curiosity", "hope",
              "work", "silence", "laughter", "learning", "music", "travel", "failure", "time",
              "love", "doubt", "practice", "freedom", "memory", "change", "home", "trust", "rest"]
Q_OBJECTS = ["the heart", "a quiet mind", "every good day", "the long road", "a small step",
             "the morning", "an open door", "the whole journey", "a full life", "the future",
             "a careful hand", "the first try", "a warm house", "the best ideas"]
Q_TEMPLATES_TRAIN = [
    "{S} is the key to {o}.",
    "{S} opens {o}, and {s2} keeps it open.",
    "Without {s}, {o} is only a dream.",
    "The secret of {o} is {s}.",
    "A little {s} goes further than a lot of {s2}.",
    "Give {s} a chance and {o} will follow.",
    "Where there is {s}, there is {o}.",
    "{S} grows when we share it.",
]
Q_TEMPLATES_HELDOUT = [
    "Never trade {s} for {s2}; {o} depends on it.",
    "{S} today is {o} tomorrow.",
]
AUTHORS = ["Mara Ellison", "Tomas Verde", "Ada Quill", "Jonah Brook", "Lena Marsh", "Oscar Hale",
           "Priya Stone", "Felix Rowe", "Iris Dane", "Kofi Asante", "Nora Vale", "Ruben Cole"]


def make_quotes(rng: random.Random) -> dict[str, list[dict]]:
    rows = {"train": [], "validation": [], "test": []}
    seen = set()
    for tpl in Q_TEMPLATES_TRAIN + Q_TEMPLATES_HELDOUT:
        for s in Q_SUBJECTS:
            for o in rng.sample(Q_OBJECTS, 4):
                s2 = rng.choice([x for x in Q_SUBJECTS if x != s])
                q = tpl.format(S=s.capitalize(), s=s, s2=s2, o=o)
                q = q[0].upper() + q[1:]
                if q in seen:
                    continue
                seen.add(q)
                row = {"quote": f"\u201c{q}\u201d", "author": rng.choice(AUTHORS), "tags": [s], "topic": s}
                if tpl in Q_TEMPLATES_HELDOUT:
                    rows["validation" if rng.random() < 0.5 else "test"].append(row)
                else:
                    r = rng.random()
                    rows["train" if r < 0.85 else "validation" if r < 0.92 else "test"].append(row)
    return rows


# --------------------------------------------------------------------------- dialogues
ITEMS = ["a blue jacket", "a pair of boots", "a coffee machine", "a laptop bag", "a desk lamp",
         "a winter coat", "a phone case", "a rice cooker", "a backpack", "a football"]
PLACES = ["the museum", "the station", "the city library", "the post office", "the town hall",
          "the old market", "the sports centre", "the hospital"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TIMES = ["9 am", "10 am", "noon", "2 pm", "4 pm", "6 pm", "7 pm", "8 pm"]
DISHES = ["fish soup", "a vegetable curry", "roast chicken", "mushroom pasta", "a cheese pie"]
SYMPTOMS = ["a sore throat", "a bad cough", "a high fever", "a pain in the back", "a headache"]


def _dialogue_scenarios() -> list[Callable[[random.Random], tuple[str, str, str]]]:
    """Each scenario returns (dialogue, summary, topic) for random slot values."""

    def booking(r):
        n, d, t = r.randint(2, 8), r.choice(DAYS), r.choice(TIMES)
        dia = (
            f"#Person1#: Good evening, I would like to book a table for {n} people.\n"
            f"#Person2#: Of course. For which day?\n#Person1#: {d}, at {t} if possible.\n"
            f"#Person2#: That is fine. May I have your name?\n#Person1#: It is {r.choice(NAMES)}.\n"
            "#Person2#: Thank you, your table is booked."
        )
        return dia, f"#Person1# books a table for {n} people on {d} at {t}.", "restaurant booking"

    def doctor(r):
        s, d = r.choice(SYMPTOMS), r.choice(DAYS)
        dia = (
            f"#Person1#: Hello, I have had {s} for three days.\n#Person2#: I am sorry to hear that. "
            f"Can you come in on {d}?\n#Person1#: Yes, {d} works for me.\n"
            "#Person2#: Good. Please drink plenty of water until then."
        )
        return dia, f"#Person1# has {s} and will see the doctor on {d}.", "health"

    def returns(r):
        it = r.choice(ITEMS)
        why = r.choice(["it is too small", "it arrived broken", "it is the wrong colour"])
        dia = (
            f"#Person1#: Hi, I bought {it} here last week, but {why}.\n"
            "#Person2#: Do you have the receipt?\n#Person1#: Yes, here it is.\n"
            "#Person2#: Then I can give you your money back.\n#Person1#: Great, thank you."
        )
        return dia, f"#Person1# returns {it} because {why} and gets a refund.", "shopping"

    def directions(r):
        p = r.choice(PLACES)
        m = r.choice(["five", "ten", "fifteen", "twenty"])
        dia = (
            f"#Person1#: Excuse me, how do I get to {p}?\n#Person2#: Go straight and turn left "
            f"at the lights.\n#Person1#: Is it far?\n#Person2#: No, about {m} minutes on foot.\n"
            "#Person1#: Thanks a lot."
        )
        return dia, f"#Person2# tells #Person1# the way to {p}, about {m} minutes on foot.", "directions"

    def interview(r):
        job = r.choice(["a cook", "a driver", "a teacher", "a designer", "a nurse", "a cashier"])
        y = r.randint(2, 9)
        dia = (
            f"#Person1#: Thank you for coming. Why do you want to work as {job}?\n"
            f"#Person2#: I have done it for {y} years and I enjoy it.\n#Person1#: When can you start?\n"
            f"#Person2#: I can start next {r.choice(DAYS)}."
        )
        return dia, f"#Person2# is interviewed for a job as {job} and has {y} years of experience.", "job interview"

    def lost(r):
        it, p = r.choice(ITEMS), r.choice(PLACES)
        dia = (
            f"#Person1#: I think I left {it} at {p} yesterday.\n#Person2#: Let me check the lost "
            "and found box.\n#Person1#: Thank you.\n#Person2#: Is this it?\n#Person1#: Yes! That is mine."
        )
        return dia, f"#Person1# lost {it} at {p} and gets it back.", "lost property"

    def cooking(r):
        dish, a, b = r.choice(DISHES), r.choice(NAMES), r.choice(NAMES)
        dia = (
            f"#Person1#: {b}, what shall we cook tonight?\n#Person2#: How about {dish}?\n"
            "#Person1#: Good idea, but we need to buy a few things.\n"
            f"#Person2#: I will go to the shop. You can invite {a}."
        )
        return dia, f"They decide to cook {dish}; #Person2# goes shopping and #Person1# invites {a}.", "cooking"

    def tickets(r):
        c, n, d = r.choice(list(CAPITALS.values())), r.randint(1, 4), r.choice(DAYS)
        cls = r.choice(["first class", "second class"])
        dia = (
            f"#Person1#: I need {n} train tickets to {c}, please.\n#Person2#: For which day?\n"
            f"#Person1#: {d} morning.\n#Person2#: First or second class?\n#Person1#: {cls.capitalize()}."
        )
        return dia, f"#Person1# buys {n} {cls} train tickets to {c} for {d} morning.", "travel"

    def weather(r):
        w = r.choice(["rain", "snow", "strong wind", "a storm"])
        act = r.choice(["the picnic", "the football match", "the bike ride", "the beach trip"])
        dia = (
            f"#Person1#: Did you see the forecast? There will be {w} tomorrow.\n"
            f"#Person2#: Oh no, what about {act}?\n#Person1#: Let us move it to next week.\n"
            "#Person2#: Fine, I will tell the others."
        )
        return dia, f"Because of {w} tomorrow, they move {act} to next week.", "weather"

    def rent(r):
        rooms, price = r.randint(1, 4), r.choice([500, 650, 800, 950, 1200])
        dia = (
            f"#Person1#: I saw your advert for the flat with {rooms} bedrooms.\n"
            f"#Person2#: Yes, it is still free. The rent is {price} a month.\n"
            "#Person1#: Can I see it this week?\n#Person2#: Sure, come on "
            f"{r.choice(DAYS)}."
        )
        summary = f"#Person1# asks about a flat with {rooms} bedrooms for {price} a month and will visit it."
        return dia, summary, "housing"

    return [booking, doctor, returns, directions, interview, lost, cooking, tickets, weather, rent]


def make_dialogsum(rng: random.Random) -> dict[str, list[dict]]:
    rows = {"train": [], "validation": [], "test": []}
    seen = set()
    scenarios = _dialogue_scenarios()
    i = 0
    target = {"train": 1200, "validation": 150, "test": 150}
    while any(len(rows[k]) < v for k, v in target.items()):
        dia, summ, topic = rng.choice(scenarios)(rng)
        if dia in seen:
            continue
        seen.add(dia)
        split = rng.choices(["train", "validation", "test"], [0.8, 0.1, 0.1])[0]
        if len(rows[split]) >= target[split]:
            continue
        i += 1
        rows[split].append({"id": f"{split}_{i}", "dialogue": dia, "summary": summ, "topic": topic})
    return rows


# --------------------------------------------------------------------------- complaints
COMPANIES = ["@AcmeAir", "@QuickBank", "@ShopNow", "@TeleLink", "@CityRail", "@FreshFoods",
             "@StreamBox", "@HomePower", "@ParcelGo", "@CloudPhone"]
PROBLEMS = ["arrived broken", "never arrived", "was the wrong size", "is missing a part",
            "stopped working after a day", "was charged twice"]
THINGS = ["order", "parcel", "phone", "bill", "ticket", "refund", "router", "delivery"]
GOOD = ["quick", "friendly", "helpful", "smooth", "easy", "fast"]
C_TEMPLATES_TRAIN = [
    "{c} my {t} {p} and nobody answers my emails",
    "{c} been on hold for {n} minutes, this is ridiculous",
    "{c} still waiting for my {t}, {n} days now",
    "{c} your app logs me out every time I try to pay",
    "{c} I was promised a call back yesterday and heard nothing",
    "{c} why is my {t} so late again?",
    "{c} third time this month my {t} {p}",
    "{c} not happy at all, my {t} {p}",
]
N_TEMPLATES_TRAIN = [
    "{c} thanks for the {g} help with my {t} today",
    "{c} my {t} arrived early, great job",
    "{c} does anyone know if you open on {d}?",
    "{c} just booked another trip with you, see you soon",
    "{c} the new app update looks really {g}",
    "{c} no problems at all with my {t}, thank you",
    "{c} what time does the {t} service start on {d}?",
    "{c} shout out to the {g} team at the desk",
]
# Phrasings kept for test only (different words, same two labels).
C_TEMPLATES_HELDOUT = [
    "{c} I am really disappointed, the {t} {p}",
    "{c} worst service ever, {n} days and no {t}",
]
N_TEMPLATES_HELDOUT = [
    "{c} really impressed with how {g} that was",
    "{c} can I change the address for my {t}?",
]
# Phrasings of a part of the validation split, used neither in training nor in the test split:
# the validation split then shows, as the test does, how a method copes with new wording.
C_TEMPLATES_VAL_HELDOUT = [
    "{c} so frustrated, my {t} {p} again",
    "{c} {n} days later and still no sign of my {t}",
]
N_TEMPLATES_VAL_HELDOUT = [
    "{c} lovely experience today, the staff were so {g}",
    "{c} quick question: do you deliver on {d}?",
]
REPLY_COMPLAINT = [
    "We are sorry. Your complaint has been sent to our team.",
    "So sorry about this complaint, we will fix it today.",
    "We hear your complaint and apologise, please send us a message.",
]
REPLY_OK = [
    "Thank you! Glad there is no complaint, have a nice day.",
    "No complaint, just kind words, thank you so much!",
    "Happy to help, no complaint is the best news.",
]


def _complaint_text(rng: random.Random, tpl: str) -> str:
    return tpl.format(c=rng.choice(COMPANIES), t=rng.choice(THINGS), p=rng.choice(PROBLEMS),
                      n=rng.randint(2, 90), g=rng.choice(GOOD), d=rng.choice(DAYS))


def make_complaints(rng: random.Random) -> dict[str, list[dict]]:
    rows = {"train": [], "validation": [], "test": []}
    seen = set()
    plan = [
        ("train", 1065, C_TEMPLATES_TRAIN, N_TEMPLATES_TRAIN),
        ("validation", 150, C_TEMPLATES_TRAIN, N_TEMPLATES_TRAIN),
        ("test", 200, C_TEMPLATES_TRAIN, N_TEMPLATES_TRAIN),
        ("test", 100, C_TEMPLATES_HELDOUT, N_TEMPLATES_HELDOUT),
    ]
    for split, n, ctpl, ntpl in plan:
        made = 0
        while made < n:  # 49% complaints in every part, so the majority baseline stays near 0.51
            label = "complaint" if made < round(0.49 * n) else "no complaint"
            text = _complaint_text(rng, rng.choice(ctpl if label == "complaint" else ntpl))
            if text in seen:
                continue
            seen.add(text)
            rows[split].append({"text": text, "label": label})
            made += 1
    for split_rows in rows.values():
        rng.shuffle(split_rows)
    # 50 validation rows in new phrasings, from a generator of their own so that the train and
    # test splits (and the corpus built from train) stay as they were.
    extra = random.Random(f"{SEED}-complaints-validation-phrasings")
    made = 0
    while made < 50:
        label = "complaint" if made < round(0.49 * 50) else "no complaint"
        templates = C_TEMPLATES_VAL_HELDOUT if label == "complaint" else N_TEMPLATES_VAL_HELDOUT
        text = _complaint_text(extra, extra.choice(templates))
        if text in seen:
            continue
        seen.add(text)
        rows["validation"].append({"text": text, "label": label})
        made += 1
    extra.shuffle(rows["validation"])
    return rows


def complaint_corpus_lines(rows: list[dict], rng: random.Random) -> list[str]:
    """Messages followed by a reply whose tone follows the hidden label."""
    out = []
    for row in rows:
        reply = rng.choice(REPLY_COMPLAINT if row["label"] == "complaint" else REPLY_OK)
        out.append(f"{row['text']}\nReply: {reply}")
    return out


# --------------------------------------------------------------------------- instructions
INSTR = {
    "capital": (["What is the capital of {x}?", "Name the capital city of {x}.",
                 "Which city is the capital of {x}?"], ["Tell me the capital of {x}."], CAPITALS),
    "antonym": (["What is the opposite of {x}?", "Give the antonym of the word {x}.",
                 "Write a word that means the opposite of {x}."], ["Opposite of {x}?"], ANTONYMS),
    "plural": (["What is the plural of {x}?", "Write the plural form of {x}.",
                "Give the plural of the noun {x}."], ["More than one {x}: what is the word?"], PLURALS),
    "category": (["What kind of thing is a {x}?", "Which category does {x} belong to?",
                  "Is {x} an animal, a fruit, a color, a tool or a vehicle?"],
                 ["Put {x} in a category."],
                 {w: c for c, ws in CATEGORIES.items() for w in ws}),
}


def make_instructions(rng: random.Random) -> dict[str, list[dict]]:
    rows = {"train": [], "validation": [], "test": []}
    for task, (train_tpls, test_tpls, table) in INSTR.items():
        keys = sorted(table)
        rng.shuffle(keys)
        n_test = max(4, len(keys) // 5)
        split_of = {k: "test" if i < n_test else "validation" if i < 2 * n_test - n_test // 2 else "train"
                    for i, k in enumerate(keys)}
        for k in keys:
            split = split_of[k]
            tpls = train_tpls if split == "train" else train_tpls + test_tpls
            for tpl in tpls:
                rows[split].append({"task": task, "instruction": tpl.format(x=k), "input": "",
                                    "output": table[k]})
    return rows


# --------------------------------------------------------------------------- multiple choice
def make_multiple_choice(rng: random.Random) -> dict[str, list[dict]]:
    rows = {"train": [], "validation": [], "test": []}
    banks = [
        ("geography", "What is the capital of {x}?", CAPITALS),
        ("vocabulary", "What is the opposite of {x}?", ANTONYMS),
        ("grammar", "What is the plural of {x}?", PLURALS),
        ("categories", "A {x} is a kind of what?", {w: c for c, ws in CATEGORIES.items() for w in ws}),
    ]
    for subject, tpl, table in banks:
        values = sorted(set(table.values()))
        for x in sorted(table):
            wrong = rng.sample([v for v in values if v != table[x]], 3)
            choices = wrong + [table[x]]
            rng.shuffle(choices)
            split = rng.choices(["train", "validation", "test"], [0.4, 0.1, 0.5])[0]
            rows[split].append({"subject": subject, "question": tpl.format(x=x), "choices": choices,
                                "answer": choices.index(table[x])})
    return rows


# --------------------------------------------------------------------------- write
def build_all() -> dict[str, dict[str, list[dict]]]:
    """Generate every dataset (split -> rows), seeded per dataset."""
    makers = {"act_as": make_act_as, "quotes": make_quotes, "dialogsum": make_dialogsum,
              "complaints": make_complaints, "instructions": make_instructions,
              "multiple_choice": make_multiple_choice}
    return {name: fn(random.Random(f"{SEED}-{name}")) for name, fn in makers.items()}


# The corpus's own sentences about the act-as roles and the quote subjects: the domain's words
# (every role, its duty, its requests; every subject) in frames no act-as prompt or quote uses.
ROLE_FRAMES = [
    "A good {role} is someone who knows that {duty}.",
    "People often ask a {role} for help with {req}.",
    "My friend works as a {role}. Last week someone came to her with {req}.",
    "What does a {role} do? In short, {duty}.",
]
SUBJECT_FRAMES = [
    "People have written about {s} for a long time, and about {o} too.",
    "We talked about {s} at dinner, and then about {o}.",
    "A book on {s} sat next to a book on {o}.",
]


def domain_sentences(rng: random.Random) -> list[str]:
    """Sentences about every act-as role and every quote subject, in the corpus's own frames."""
    docs = []
    for role, duty, reqs in ROLES:
        for frame in ROLE_FRAMES:
            docs.append(frame.format(role=role, duty=duty, req=rng.choice(reqs)))
    for subject in Q_SUBJECTS:
        for frame in SUBJECT_FRAMES:
            docs.append(frame.format(s=subject, o=rng.choice(Q_OBJECTS)))
    return docs


def build_corpus(sets: dict[str, dict[str, list[dict]]]) -> list[str]:
    """Pretraining text for the tiny models: facts, domain sentences and training inputs, no target."""
    rng = random.Random(f"{SEED}-corpus")
    docs = fact_sentences() * 2  # facts twice: short, and the questions of two datasets ask about them
    docs += domain_sentences(rng) * 2
    docs += [r["dialogue"] for r in sets["dialogsum"]["train"]]
    docs += complaint_corpus_lines(sets["complaints"]["train"], rng)
    # Some question-answer pairs, as the web has: multiple-choice *train* questions only, and
    # none that an instruction-set validation/test item asks in the same words.
    held_out = {r["instruction"] for split in ("validation", "test") for r in sets["instructions"][split]}
    qa = [r for r in sets["multiple_choice"]["train"] if r["question"] not in held_out]
    docs += [f"Question: {r['question']}\nAnswer: {r['choices'][r['answer']]}" for r in qa] * 2
    rng.shuffle(docs)
    return docs


def main() -> None:
    sets = build_all()
    for name, splits in sets.items():
        for split, rows in splits.items():
            write_jsonl(DATA_DIR / name / f"{split}.jsonl", rows)
        print(f"{name:16s}" + "  ".join(f"{s}={len(r)}" for s, r in splits.items()))
    corpus = build_corpus(sets)
    # One document per block, separated by a blank line (dialogues span lines).
    (DATA_DIR / "corpus.txt").write_text("\n\n".join(corpus) + "\n", encoding="utf-8")
    print(f"corpus          {len(corpus)} documents")


if __name__ == "__main__":
    main()
