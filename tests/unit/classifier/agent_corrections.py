"""Corrections as a hotel's agents would make them, written by the team (not taken from any dataset).

`sales_enquiries()`: guests asking for group stays, events and celebrations in plain words, without
the commercial vocabulary cue words look for ("quote", "bulk", "wholesale"…), which the shipped
model calls questions and agents correct to `sales_lead`. `everyday_posts()`: complaints, questions
and praise the shipped model gets right, with their labels, for a correction set gone wrong.
"""

from __future__ import annotations

import itertools
import random

WHO = (
    "We're {n} from the Shenzhen office", "Our team of {n}", "My daughter's wedding is {n} guests",
    "Our class reunion will be {n} people", "The football club is bringing {n} players and coaches",
    "Our church choir of {n}", "We have {n} engineers flying in from Munich",
    "My parents' ruby anniversary is {n} guests",
    "The book club is {n} of us", "Our sales kickoff is {n} people", "The cycling group is {n} riders",
    "A conference delegation of {n}",
)
WHEN = ("in March", "the second week of May", "over the dragon boat holiday", "next June", "this autumn",
        "around Christmas", "for three nights in April", "the weekend of the 14th")
ASK = (
    "can you hold the east wing for us?", "who should I talk to?", "could someone from your team call me back?",
    "what could you do for us?", "is the ballroom free then, and could you host dinner too?",
    "can we sort out rooms and a meeting space with someone?", "would you take care of all of us?",
    "could your events person get in touch?",
)
SIZES = (12, 18, 25, 30, 40, 60, 80, 120, 150)


def sales_enquiries(count: int, seed: int = 7) -> list[str]:
    """`count` distinct sales enquiries, the same ones for the same seed."""
    combos = list(itertools.product(WHO, WHEN, ASK))
    random.Random(seed).shuffle(combos)
    sizes = itertools.cycle(SIZES)
    return [f"{who.format(n=next(sizes))} {when}, {ask}" for who, when, ask in combos[:count]]


EVERYDAY = (
    ("The room was filthy when we checked in and nobody came to clean it", "complaint"),
    ("Waited forty minutes for room service and the soup was cold", "complaint"),
    ("The air conditioning in 1204 has been broken for two days, still not fixed", "complaint"),
    ("You charged my card twice for the same night, I want my money back", "complaint"),
    ("Front desk was rude to my mother when she asked for a late checkout", "complaint"),
    ("The shower drain is blocked and the bathroom floods every morning", "complaint"),
    ("Booked a sea view and got a room facing the car park, really disappointed", "complaint"),
    ("My parcel was supposed to arrive on Monday and it is still not here", "complaint"),
    ("What time does breakfast start on weekends?", "question"),
    ("Is there parking at the hotel and how much is it per night?", "question"),
    ("Do you allow small dogs in the rooms?", "question"),
    ("How far is the hotel from the airport by taxi?", "question"),
    ("Can I change the name on my booking?", "question"),
    ("Is the pool heated in winter?", "question"),
    ("Where can I find my invoice for last week's stay?", "question"),
    ("Does the gym open before six in the morning?", "question"),
    ("Lovely stay, the staff made our anniversary so special, thank you", "praise"),
    ("Best breakfast buffet I've had in years, thank you to the chefs", "praise"),
    ("The concierge found us a table at the last minute, amazing service", "praise"),
    ("Spotless room, comfy bed, great view. We'll be back!", "praise"),
    ("Thank you for sorting out my booking so quickly, really appreciated", "praise"),
    ("The kids loved the pool and the staff were wonderful with them", "praise"),
    ("Fantastic service at the spa today, I feel brand new", "praise"),
    ("Housekeeping left a birthday card for my son, such a kind touch", "praise"),
)
CATEGORIES = ("complaint", "question", "praise", "sales_lead", "suggestion", "other")


def flipped(rows: list[tuple[str, str]], seed: int = 11) -> list[tuple[str, str]]:
    """Each text with a label chosen at random among the categories it is not."""
    rng = random.Random(seed)
    return [(text, rng.choice([c for c in CATEGORIES if c != label])) for text, label in rows]
