"""Team-written English social posts, composed into labelled training examples.

The only permitted English intent data is synthetic service requests (Bitext), which does not
look like a tweet at a brand. The team wrote these fragments itself: complaints as customers
post them (often sarcastic, often with a handle and a question), and the posts that are *not*
complaints: praise, questions, plain brand chatter and personal posts that are negative without
being a complaint to anyone ("ugh, mondays"). `python -m heed_classifier.training_data.compose_en`
rewrites the CSV deterministically.
"""

from __future__ import annotations

import random
from pathlib import Path

from heed_classifier.training import write_examples

OUT = Path(__file__).with_name("team_examples_en.csv")

HANDLES = ("@AcmeAir", "@ZipTel", "@Brewly", "@ShopMart", "@FastBank", "@QuickEats", "@NovaPhone", "@RideGo",
           "@StreamBox", "@HomeFix", "@PetCo_Help", "@SkyRail", "@CloudNet", "@BurgerBarn", "@Trendy_Wear")

COMPLAINT = (
    "my flight was delayed {n} hours and nobody told us anything", "been on hold for {n} minutes", "still on hold",
    "my package says delivered but it's not here", "you charged me twice this month", "the app keeps crashing",
    "no signal again", "cold fries again", "ordered a large and got a small", "worst customer service ever",
    "still waiting for my refund", "you cancelled my flight and won't rebook me", "internet down for the third day",
    "thanks for nothing", "great, another delay", "your website won't let me log in", "you lost my bag",
    "the staff at your store were so rude", "my card got declined for no reason", "why is my bill so high this month",
    "been waiting {n} days for a technician", "the battery dies in an hour", "this is unacceptable",
    "fix your app", "do better", "never flying with you again", "i want my money back",
    "is anyone going to answer me", "how hard is it to get an order right", "seriously?", "absolute joke",
    "{n} emails and still no reply", "my order is {n} days late", "the driver never showed up", "missing items again",
    "you sent me the wrong size", "the screen cracked after a week", "my phone won't charge anymore",
    "your chat bot is useless", "nobody at the help desk knows anything", "why do you keep cancelling my order",
    "the train is late every single day", "stuck on the tarmac for {n} hours", "no wifi on a {n} hour flight",
    "my coffee was cold and they got the order wrong", "paid for express shipping and it took two weeks",
    "you overcharged me", "the update broke everything", "can't stream anything tonight", "outage again",
    "my account got locked and no one will help", "the room was filthy", "found a hair in my food",
    "the delivery guy threw my package over the fence", "waited an hour for a table we booked",
    "customer service hung up on me",
    "been a customer for {n} years and this is how you treat me", "why is it so hard to cancel my subscription",
    "your prices keep going up and the service keeps getting worse", "this is the third time this happened",
    "you guys are a joke", "what a terrible experience", "i'm done with you", "still broken", "still no update",
    "nobody picks up the phone", "where is my order", "where is my refund", "why hasn't my package shipped yet",
    "the new update drains my battery", "my bag came back ripped", "the seat was broken and nobody cared",
    "you promised a callback and never called", "the manager was even worse", "terrible service at the counter",
    "my internet is slower than dial up", "my card was charged but the order was cancelled", "you ruined my trip",
    "nice job losing my luggage", "love waiting {n} minutes for a coffee", "awesome, my order is late again",
    "so glad i paid for this", "wow another outage, great job", "broken on arrival", "smells like mold in here",
)
COMPLAINT_TAILS = ("", "", "", ".", "!", "!!", " smh", " #fail", " ugh", " so annoying", " not happy",
                   " please fix this", " unbelievable", " 😡", " 🙄", " wtf", " ridiculous", " come on")

PRAISE = (
    "thanks for the quick help today", "love my new phone", "shoutout to the crew on my flight", "best coffee in town",
    "great service at the downtown store", "the new update is awesome", "you guys rock", "fastest delivery ever",
    "amazing customer service, problem solved in minutes", "the staff were so friendly", "loving the new menu",
    "my order came early, thank you", "big thanks to the support team", "so happy with my purchase",
    "smooth flight and a lovely crew", "the best burgers", "thank you for fixing it so fast", "great job on the app",
    "always a pleasure shopping here", "five stars", "you made my day", "impressed with the quality",
)
QUESTION = (
    "does the store open on sunday", "what time does the sale start", "do you ship to canada",
    "is the new model out yet", "how do i change my seat", "can i return this without a receipt",
    "when does the app update come out", "do you have this in blue", "is there a student discount",
    "how do i reset my password", "can i add a bag to my booking", "are you hiring", "any plans for a vegan option",
    "do you price match", "how long does delivery usually take", "which plan is best for travel",
)
OTHER_BRAND = (
    "just ordered from {h}", "can't wait for the new season on {h}", "new phone announced today by {h}",
    "heading to {h} for lunch", "watching the game with friends", "{h} just opened a store near me",
    "my mom finally got a smartphone", "grabbing coffee before work", "reading about the {h} merger",
    "{h} is having a sale this weekend", "trying the new burger at {h} tonight", "boarding now, see you soon",
    "look what i got from {h}", "first day at my new job", "this song is stuck in my head", "happy friday everyone",
    "the sunset tonight", "anyone watching the finale", "new blog post is up", "packing for my trip",
)
PERSONAL_NEGATIVE = (
    "i hate mondays", "so tired of this weather", "finals week is killing me", "my cat knocked over my coffee lol",
    "can't sleep again", "missing my friends", "this game was rigged lol", "8 am classes should be illegal",
    "why am i like this", "my head hurts", "worst hair day ever", "i miss summer", "crying at this movie",
    "my team lost again", "so bored", "ugh i have work tomorrow", "it's way too cold", "i'm so done with school",
    "my brother ate my leftovers", "hate when people don't text back", "this week has been exhausting",
    "i'm sick again", "rip my sleep schedule", "the traffic home was brutal", "lost my keys again",
    "sad that the show is over", "politics is depressing", "my plants keep dying", "rainy days make me sad",
    "that referee should be fired", "nobody asked for this sequel", "my ex is the worst", "allergies are the worst",
    "hate this song", "that ending was terrible", "my phone fell in the toilet lol", "i broke my glasses again",
    "can't believe it's only tuesday", "my landlord still hasn't fixed the heating", "my dog ate my homework for real",
    "people who chew loudly are the worst", "stuck in this meeting forever", "i failed my driving test again",
    "the bus was so crowded today", "why is everyone so rude today", "so much homework", "worst day ever",
    "i'm never drinking again", "ugh the wifi at school is so slow", "my sister took my charger again",
    "that movie was a waste of time", "i hate being sick", "my back is killing me", "waiting for my ride forever",
)
OTHER_CHAT = (
    "good morning twitter", "new episode tonight", "who's going to the concert", "look at this cute dog",
    "just finished my workout", "merry christmas everyone", "happy birthday to my best friend", "game day",
    "listening to the new album", "making pancakes", "back home finally", "we won!!", "road trip time",
    "reading a great book", "lol this meme", "so proud of my little brother", "what a match", "weekend vibes",
    "rt if you agree", "can't wait for the holidays", "my favourite time of year", "just voted",
)


def _fill(text: str, rng: random.Random) -> str:
    return text.replace("{n}", str(rng.choice((2, 3, 4, 5, 10, 20, 30, 45, 90)))).replace("{h}", rng.choice(HANDLES))


def _maybe_handle(text: str, rng: random.Random, p: float) -> str:
    if rng.random() >= p:
        return text
    return f"{rng.choice(HANDLES)} {text}" if rng.random() < 0.7 else f"{text} {rng.choice(HANDLES)}"


def _case(text: str, rng: random.Random) -> str:
    r = rng.random()
    return text.capitalize() if r < 0.5 else text.upper() if r < 0.55 else text


def compose(n: int = 1500, seed: int = 11) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def add(text: str, intent: str, sentiment: str) -> None:
        if text not in seen:
            seen.add(text)
            rows.append((text, intent, sentiment))

    for _ in range(n):
        parts = [_fill(c, rng) for c in rng.sample(COMPLAINT, rng.randint(1, 2))]
        text = ". ".join(_case(p, rng) for p in parts) + rng.choice(COMPLAINT_TAILS)
        add(_maybe_handle(text, rng, 0.85), "complaint", "negative")
    for _ in range(n // 3):
        add(_maybe_handle(_case(rng.choice(PRAISE), rng) + rng.choice(("!", "", " ❤️", " 🙌", "!!")), rng, 0.8),
            "praise", "positive")
        add(_maybe_handle(_case(rng.choice(QUESTION), rng) + rng.choice(("?", "?", " ?", "??")), rng, 0.8),
            "question", "neutral")
        add(_case(_fill(rng.choice(OTHER_BRAND), rng), rng) + rng.choice(("", "!", " 😂", " lol", ".")), "other",
            "neutral")
        add(_case(rng.choice(OTHER_CHAT), rng) + rng.choice(("", "!", " 😂", " ❤️", " lol")), "other", "positive")
        add(_case(rng.choice(PERSONAL_NEGATIVE), rng) + rng.choice(("", " 😩", " 😭", " lol", "...", " ugh")), "other",
            "negative")
    return rows


def main() -> None:
    write_examples(OUT, compose())


if __name__ == "__main__":
    main()
