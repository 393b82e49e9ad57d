"""The demo forums: boards and lively threads from the fortnight before the 93rd Academy Awards.

`demo_forums_seed` creates the boards, a demo moderator and about a dozen threads written by the demo season's
accounts (the demo fan, the editors, experts and synthetic fans), with Markdown, a quote reply, a pinned and a
locked thread, a removed spam post and an open report. The demo holds the real winners back, so the posts only
debate and predict: none says who won.

Everything goes through forums.services, in the order it happened, with `now=` spread over the last ten days:
counters, last posts and the moderation log come out as real use would leave them, and the posting rules (rate
limits, new members' link-free first posts) apply. The content is scripted and the timing drawn from a seeded
random generator, so every run writes the same forums. Running it again once the demo boards have threads does
nothing. Call after `seed_demo_season` (it finds its users); without the 93rd ceremony or Sound of Metal in the
catalogue, the threads are written without their film or category and the result says so.
"""

from __future__ import annotations

import random
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from films.models import Category, Film
from forums import services
from forums.markdown import quote_markdown
from forums.models import Board, Post, Report, Thread

# The demo season's accounts (predictions.demo; forums does not import predictions, so they are named here).
DEMO_FAN_EMAIL = "demo@frontrunner.local"
DEMO_EDITOR_EMAIL = "editor@frontrunner.local"
DEMO_EMAIL_DOMAIN = "demo.frontrunner.local"
MODERATOR_ACCOUNT = {
    "email": "moderator@frontrunner.local",
    "password": "oscars-moderator-2021",
    "role": User.Role.MODERATOR,
    "name": "Demo Moderator",
}
SHOW_SLUG = "academy-awards"
CEREMONY_NUMBER = 93
SPAN = timedelta(days=10)
# The posting rate limit's windows are an hour at most: an author's posts this far apart never meet a limit.
AUTHOR_SPACING = timedelta(minutes=15)
SEED = 93

BOARDS = (
    {"slug": "oscars", "name": "Oscars", "is_default": True,
     "description": "The Academy Awards: races, precursors, predictions. Threads on a film or a category start here."},
    {"slug": "emmys", "name": "Emmys", "is_default": False,
     "description": "Television's awards season: drama, comedy, limited series and the performers."},
    {"slug": "film-talk", "name": "Film talk", "is_default": False,
     "description": "Films beyond the awards: what you watched, loved or could not stand."},
    {"slug": "off-topic", "name": "Off topic", "is_default": False,
     "description": "Everything else, from Oscar-night snacks to what you are reading."},
    {"slug": "site-feedback", "name": "Site feedback", "is_default": False,
     "description": "Ideas, bugs and questions about Frontrunner itself."},
)  # fmt: skip


@dataclass(frozen=True)
class Reply:
    author: str
    body: str
    quote: int | None = None  # the number of the post this one quotes (1 = the opening post)
    report: tuple[str, str, str] | None = None  # (reporter, Report.Reason, details): reported soon after
    remove_reason: str = ""  # removed by the moderator after the report


@dataclass(frozen=True)
class Script:
    board: str
    title: str
    author: str
    body: str
    replies: tuple[Reply, ...]
    start_day: float  # when the thread starts, in days after the beginning of the ten days
    film: str = ""  # a film's slug
    category: str = ""  # the slug of a category of the 93rd ceremony
    gap_minutes: float = 150  # the mean time between replies
    pinned: bool = False
    lock_reason: str = ""


# Who writes: the demo season's accounts by role, the moderator and a spammer made for the occasion.
FANS = [f"f{i}" for i in range(14)]
EXPERTS = ["x0", "x1", "x2"]
SYNTHETIC_EDITORS = ["e0", "e1"]
FALLBACK_NAMES = {
    "demo": "Forum Fan", "editor": "Forum Editor", "x0": "Dana Reyes", "x1": "Marcus Bell", "x2": "Ingrid Solberg",
    "e0": "Tom Abara", "e1": "Lucia Ferrante", **{f"f{i}": f"filmfan{i + 1:02d}" for i in range(14)},
}  # fmt: skip
SPAMMER = {"email": f"streamdeals@{DEMO_EMAIL_DOMAIN}", "name": "StreamDeals4K"}

R = Reply
SCRIPTS = (
    Script(
        board="oscars", title="Forum rules: be kind, mark spoilers", author="mod", start_day=0.05, pinned=True,
        gap_minutes=240,
        body=(
            "Welcome to the Frontrunner forums! A few rules so that everyone enjoys the season:\n\n"
            "1. **Be kind.** Argue about films, not about people. No insults, no pile-ons.\n"
            "2. **Mark spoilers.** Put *[spoiler]* at the start of a title when a thread discusses a plot, and keep "
            "plot details out of titles.\n"
            "3. **No spam or self-promotion.** New members can post links after their first few posts.\n"
            "4. **Use the report button** rather than answering a post that breaks the rules; a moderator will "
            "look at it.\n\n"
            "Threads about a film or a category start here in *Oscars*; the rest has its own board. Have fun, and "
            "may your ballot survive the envelopes."
        ),
        replies=(
            R("demo", "Thanks! Is it fine to talk about the precursors here (SAG, BAFTA, the guilds)?"),
            R("mod", "Absolutely: the precursors are what this place runs on. Keep plot spoilers marked.", quote=2),
            R("f0", "Love that there's a rule against pile-ons. The last forum I was on was brutal in February."),
            R("x0", "Seconding the report button. Replying to trolls only feeds them."),
            R("f5", "Will there be a live thread on the night?"),
            R("mod", "Yes: we'll open one in *Oscars* on the day and pin it."),
        ),
    ),
    Script(
        board="oscars", title="Nomadland is the frontrunner, right?", author="f1", start_day=0.4,
        film="nomadland-2020", category="best-picture", gap_minutes=170,
        body=(
            "The PGA, the DGA, the Golden Globe, the BAFTA: every precursor that matters lines up behind it. "
            "Is there *any* scenario where Nomadland does not take Best Picture?"
        ),
        replies=(
            R("x0", "The preferential ballot is the only one. Nomadland is quiet: people rank it first or fifth. "
                    "*The Trial of the Chicago 7* is everybody's solid second or third: that is how upsets happen."),
            R("f2", "Chicago 7 took the SAG ensemble though. Actors are the biggest branch."),
            R("f1", "But the PGA uses a preferential ballot too, and Nomadland topped it. That's the closest thing to "
                    "a dry run we get.", quote=2),
            R("editor", "Good point: the PGA has been the best single pointer to Picture since the Academy went "
                        "preferential. I'd still put Nomadland nearer 75% than 99%."),
            R("f3", "Honestly, *Minari* is the dark horse nobody talks about. Everyone who sees it loves it."),
            R("f4", "Minari has the passion but not the numbers. It would need a mountain of second places."),
            R("demo", "Finally watched Nomadland last night. Beautiful, but I can see people finding it slow. My heart "
                      "says **Sound of Metal**, my head says Nomadland."),
            R("x1", "Sound of Metal has six nominations, including Editing, and Editing nominees do well in Picture. "
                    "I'd call it a likelier spoiler than Chicago 7."),
            R("f2", "Six nominations and no Director nomination, though."),
            R("f5", "*The Father* is the one I'd watch. Older voters adore it."),
            R("x0", "*Mank* leads with ten nominations and nobody thinks it can take Picture. The nominations count is "
                    "an overrated pointer."),
            R("f6", "Ten nominations and zero buzz. Netflix must be furious."),
            R("f1", "So the consensus is Nomadland, with Chicago 7 or Sound of Metal as the spoiler?"),
            R("e0", "My order, likeliest first:\n\n1. Nomadland\n2. The Trial of the Chicago 7\n3. Minari\n"
                    "4. Sound of Metal\n5. The Father\n\n*Promising Young Woman*, *Mank* and *Judas* round it out."),
            R("f7", "*Judas and the Black Messiah* deserves more love in this thread. It is electric."),
            R("f3", "It's the only nominee I'd rewatch tomorrow."),
            R("demo", "Put me down for Nomadland, with a little hope for an upset."),
            R("f8", "It's on Hulu, so everyone could watch it at home. No screener excuses this year."),
        ),
    ),
    Script(
        board="oscars", title="Riz Ahmed vs Chadwick Boseman vs Anthony Hopkins", author="f3", start_day=1.0,
        category="actor-in-a-leading-role", gap_minutes=140,
        body=(
            "Best Actor is the category I keep going back and forth on.\n\n"
            "- **Chadwick Boseman**, *Ma Rainey's Black Bottom*: the SAG, the Globe, the Critics Choice. The "
            "sentimental favourite and the statistical one.\n"
            "- **Anthony Hopkins**, *The Father*: the BAFTA went his way, and the performance is devastating.\n"
            "- **Riz Ahmed**, *Sound of Metal*: the best performance of the year, for my money.\n\n"
            "Who are you ranking first?"
        ),
        replies=(
            R("x1", "Boseman. Posthumous Oscars are rare (Peter Finch, Heath Ledger), but with the precursors lined "
                    "up like this it's hard to argue."),
            R("f4", "Hopkins is the threat. BAFTA voters overlap with the Academy more than people think."),
            R("f9", "Riz learned the drums and sign language for that role. Just saying."),
            R("f3", "And it shows. I just worry the Academy sees him as a first-timer who's happy to be there.",
              quote=4),
            R("demo", "Sound of Metal made me cry twice. Riz first on my ballot, no regrets."),
            R("f10", "Anyone ranking Boseman first is voting for a tribute, not a performance. Have some taste.",
              report=("f4", Report.Reason.ABUSE, "Insulting the people who disagree, not their picks.")),
            R("x0", "Let's keep it civil. Levee is a huge, dangerous performance: the monologue about his mother is "
                    "as good as screen acting gets."),
            R("f11", "Agreed. It's not a tribute vote, it's a great performance that happens to be his last."),
            R("f5", "Gary Oldman and Steven Yeun are the forgotten two here. Yeun is so good in *Minari*."),
            R("f4", "Yeun is the first Asian American nominee in this category. A big deal, even as a long shot."),
            R("e1", "Our experts have Boseman well ahead and Hopkins second. The Father's late surge is real, though: "
                    "its nominations were stronger than anyone expected."),
            R("f12", "What if the show saves Best Actor for last? Feels like the producers expect a Boseman moment."),
            R("f9", "That would be a very un-Oscars move. Picture always goes last."),
            R("f12", "Rumour is they're shuffling the order this year. We'll see."),
            R("f6", "Hopkins is 83. If he gets it he'd be the oldest acting Oscar ever. That's a narrative too."),
            R("x2", "My order: Boseman, Hopkins, Ahmed, Yeun, Oldman. I wouldn't bet the house on the top spot."),
            R("demo", "Final answer: Riz in my heart, Boseman on my ballot."),
            R("f0", "Same here. Hearts and ballots are different things."),
            R("f10", "Fine, I was harsh earlier. Boseman is great. I just love Riz in this."),
            R("f7", "Respect for coming back to say that."),
        ),
    ),
    Script(
        board="emmys", title="Way too early: can anything beat The Crown in Drama?", author="f6", start_day=2.2,
        gap_minutes=200,
        body=(
            "Season 4 landed in November and it has been the talk of the year: Diana, Thatcher, the lot. "
            "Anyone see a challenger? *The Mandalorian*, maybe?"
        ),
        replies=(
            R("f8", "Mandalorian season 2 is the only one with a shot. That finale!"),
            R("x2", "The Crown has the acting stacked: Corrin, Anderson, Colman, O'Connor. Voters follow the acting."),
            R("f2", "Limited series is the race to watch: *The Queen's Gambit*, *I May Destroy You*, *WandaVision*, "
                    "and *Mare of Easttown* just started."),
            R("f0", "I May Destroy You is the best thing on TV in years. Michaela Coel for everything.", quote=4),
            R("f11", "Comedy is *Ted Lasso*'s to lose, surely. Everyone I know watched it in lockdown."),
            R("demo", "Ted Lasso is the comfort show of the decade. **Believe.**"),
            R("f8", "*Bridgerton* for the most watched, not for the Emmys, I suspect."),
            R("x2", "The nominations aren't until July, so all of this is vibes. Fun vibes, though."),
            R("f6", "Vibes are what this board is for. I'll bump the thread when the nominations are out."),
        ),
    ),
    Script(
        board="oscars", title="Best Editing is Sound of Metal's to lose", author="x1", start_day=3.0,
        film="sound-of-metal-2020", gap_minutes=160,
        body=(
            "The cut of *Sound of Metal* is the whole film: it puts you inside Ruben's head. BAFTA went with it for "
            "editing. The competition:\n\n"
            "- *The Trial of the Chicago 7*, the showy one\n"
            "- *Nomadland*, edited by Chloé Zhao herself\n"
            "- *Promising Young Woman*\n"
            "- *The Father*, which quietly scrambles your sense of time\n\n"
            "I think it's Sound of Metal's to lose."
        ),
        replies=(
            R("f2", "Chicago 7 took the Eddie for drama, though, and the editors' guild is more or less the branch."),
            R("x1", "Fair, but that's courtroom cross-cutting, the flashy kind. The branch rewards craft, and BAFTA "
                    "went with Sound of Metal.", quote=2),
            R("f13", "The Father's editing is the most inventive: the rooms change between cuts. The sleeper here."),
            R("demo", "Sound of Metal for me. The moment the sound drops out and it cuts to his face... wow."),
            R("e0", "Best Picture and Film Editing often travel together, which helps Nomadland or Chicago 7 more "
                    "than Sound of Metal."),
            R("f1", "Not this year, I think. Nomadland's editing is lovely but invisible."),
            R("f4", "Invisible editing is supposed to be the best kind!"),
            R("x0", "My order: Sound of Metal, Chicago 7, The Father, Nomadland, Promising Young Woman."),
            R("f9", "If Sound of Metal gets Editing *and* Sound, it's the best night a small Amazon film ever had."),
            R("f13", "And Riz. Let me dream."),
            R("demo", "**Dream big.**"),
        ),
    ),
    Script(
        board="oscars", title="Can Sound of Metal upset in Sound?", author="f9", start_day=4.0,
        film="sound-of-metal-2020", category="sound", gap_minutes=150,
        body=(
            "This is the first year Sound Mixing and Sound Editing are merged into one Best Sound. Sound of Metal's "
            "sound design *is* the story. But *Soul*, *Greyhound* and *Mank* are heavyweights. Can the little film "
            "pull it off?"
        ),
        replies=(
            R("x0", "Upset? It's the favourite! BAFTA went its way and the sound guilds love it. The surest thing "
                    "below the line, if you ask me."),
            R("f9", "Ha, fair. I meant that the branch usually likes big war films and musicals, and *Greyhound* is "
                    "exactly that kind of film.", quote=2),
            R("f3", "Greyhound went straight to Apple TV+. Hard to vote for what you haven't watched."),
            R("f12", "Soul's sound is gorgeous though: the jazz against the hum of the Great Before."),
            R("x2", "The merge helps Sound of Metal: one ballot, one sound-design showcase. Under the old split, "
                    "Mixing and Editing could have gone to different films."),
            R("demo", "Watch it with headphones if you haven't. It changes everything."),
            R("f5", "*News of the World* is the forgotten one. Lovely film, nobody talks about its sound."),
            R("x0", "For anyone who hasn't seen it yet, [its page](/films/sound-of-metal-2020/) has the "
                    "nominations and where to watch."),
            R("f0", "My order: Sound of Metal, Soul, Greyhound, Mank, News of the World."),
            R("editor", "On our odds it's one of the clearest favourites of the night. Which is exactly when "
                        "the Academy likes to surprise us."),
        ),
    ),
    Script(
        board="film-talk", title="Tenet: masterpiece or mess?", author="f8", start_day=4.5, gap_minutes=90,
        lock_reason="It turned into insults between members; see the forum rules. A new Tenet thread is welcome.",
        body="Finally caught up with *Tenet* at home. I have no idea what happened and I think I loved it? "
        "Masterpiece or mess?",
        replies=(
            R("f11", "Mess. A gorgeous mess. The mix buries half the dialogue."),
            R("f4", "Masterpiece. You're not meant to get it the first time: *\"Don't try to understand it. "
                    "Feel it.\"*"),
            R("f10", "People who need a film explained to them shouldn't watch Nolan."),
            R("f11", "Wow. OK then.", quote=4),
            R("f10", "Just saying, some of us can follow a plot."),
            R("f8", "Come on, I asked a fun question."),
            R("mod", "Locking this one: it has gone from the film to the people in the thread. Tenet's "
                     "visual effects nomination is fair game in *Oscars*."),
        ),
    ),
    Script(
        board="oscars", title="Minari's Youn Yuh-jung: the Supporting Actress frontrunner now?", author="f13",
        start_day=5.2, film="minari-2020", gap_minutes=170,
        body=(
            "The SAG and the BAFTA both went her way, and her BAFTA speech (\"snobbish\" British people!) was the "
            "best speech of the season. Is anyone still betting on Glenn Close?"
        ),
        replies=(
            R("f7", "Glenn Close has eight nominations and no Oscar. The narrative is there, but *Hillbilly "
                    "Elegy*... no."),
            R("x2", "Maria Bakalova is the spoiler if there is one. She carried the Borat campaign."),
            R("f12", "Youn as the grandmother who swears and cheats at cards is the heart of *Minari*."),
            R("demo", "The Mountain Dew scene! I laughed so hard."),
            R("f13", "Bakalova had the early critics' prizes, but the guild and BAFTA went to Youn. Momentum "
                     "matters.", quote=3),
            R("f1", "Olivia Colman is so good in *The Father* too, but she already has one."),
            R("f5", "Amanda Seyfried in *Mank* is the fifth, and nobody is ranking her."),
            R("x0", "My order: Youn, Bakalova, Close, Colman, Seyfried."),
        ),
    ),
    Script(
        board="film-talk", title="The 2020 films the Academy (mostly) ignored", author="x2", start_day=5.8,
        gap_minutes=180,
        body=(
            "Every year has them. My list:\n\n"
            "1. *First Cow*: Kelly Reichardt at her best\n"
            "2. *Never Rarely Sometimes Always*\n"
            "3. *Palm Springs*\n"
            "4. *Lovers Rock*, which counted as television, sadly\n"
            "5. *Da 5 Bloods*, with a single nomination, for the score\n\n"
            "Yours?"
        ),
        replies=(
            R("f4", "*Saint Maud*! Morfydd Clark should have been in the Actress conversation."),
            R("f13", "Delroy Lindo in *Da 5 Bloods*. The snub of the year, no contest."),
            R("x2", "Agreed. That monologue to the camera in the jungle...", quote=3),
            R("f1", "*The Assistant* and *Possessor*, for the small-film crowd."),
            R("demo", "Palm Springs is the most fun I had with a film in 2020. Not Oscar material, but still."),
            R("f7", "*Wolfwalkers* should have been... wait, it *was* nominated. Never mind, I'm happy."),
            R("f8", "*The Vast of Night*! Made for nothing and more inventive than most blockbusters."),
            R("f12", "Sound of Metal was on my list until the nominations came out. So glad it isn't."),
        ),
    ),
    Script(
        board="oscars", title="Paul Raci in Sound of Metal: the nomination of the year", author="f11",
        start_day=6.5, film="sound-of-metal-2020", gap_minutes=160,
        body=(
            "A child of deaf parents playing a deaf mentor, after decades of small parts. His last scene with Riz "
            "wrecked me. Any chance he beats Daniel Kaluuya in Supporting Actor?"
        ),
        replies=(
            R("x1", "Kaluuya has had the season. Raci's only path is a split vote: both Kaluuya and Lakeith "
                    "Stanfield are nominated for *Judas*."),
            R("demo", "*\"Those moments of stillness, that's the kingdom of God.\"* I think about that line all "
                      "the time."),
            R("f6", "He's 72 and it's his first nomination. Just being there is the story."),
            R("f0", "That line, and the way he signs it. Perfect.", quote=3),
            R("e1", "Sacha Baron Cohen and Leslie Odom Jr. are in there too. Five strong performances; Raci is a "
                    "worthy fifth, or first, depending on who you ask."),
            R("f11", "Who you ask is me, and I say first."),
        ),
    ),
    Script(
        board="off-topic", title="What are you eating on Oscar night?", author="f5", start_day=7.0, gap_minutes=130,
        body=(
            "Tradition in our house: a snack for each Best Picture nominee. So far:\n\n"
            "- *Minari*: a watercress salad\n"
            "- *Nomadland*: whatever is left in the van (crisps)\n"
            "- *Sound of Metal*: something *crunchy*, obviously\n\n"
            "Help me with *Mank* and *The Father*."
        ),
        replies=(
            R("f0", "*Mank*: a martini. Or six."),
            R("f3", "*The Father*: a cup of tea that keeps moving around the kitchen."),
            R("demo", "*Promising Young Woman*: anything in a candy-coloured glass. Nothing spiked, please."),
            R("spam", "WATCH THE OSCARS LIVE IN 4K!!! Premium IPTV, all channels, best price. WhatsApp +1 555 0100 "
                      "for cheap accounts TODAY",
              report=("f5", Report.Reason.SPAM, ""), remove_reason="Spam: advertising streaming accounts."),
            R("f12", "*Judas* and *Chicago 7*: deep-dish pizza. Two birds, one Chicago."),
            R("f7", "Popcorn and a spreadsheet. I'm no fun."),
            R("x2", "The spreadsheet is the right answer for anyone in a pool."),
            R("f5", "The wandering tea is perfect, I'm stealing it.", quote=3),
            R("f9", "Up until four in the morning on this side of the Atlantic, so: coffee."),
            R("f11", "Coffee gang. See you all in the live thread."),
        ),
    ),
    Script(
        board="site-feedback", title="Feature request: show how the odds moved since my last visit", author="f2",
        start_day=8.0, gap_minutes=150,
        body="Love the odds pages. Could they show what changed since I last looked? A little ▲ or ▼ next to each "
        "nominee would do.",
        replies=(
            R("f6", "+1. And a way to compare my ballot with the experts'."),
            R("editor", "Thanks both! The experts' picks have their own page: *Experts*, next to the odds. "
                        "I've passed the arrows on."),
            R("f2", "Oh, I missed that. Thanks!"),
            R("demo", "+1 for the arrows. Dark mode too, while you're at it?"),
            R("mod", "Noted. Keep the ideas coming in this board."),
        ),
    ),
)  # fmt: skip

MEGATHREAD = {
    "board": "oscars",
    "title": "Post your big-eight predictions (megathread)",
    "author": "editor",
    "start_day": 1.5,
    "body": (
        "Your picks for the big eight, please, and post again when you change your mind: the editors will tally "
        "everyone's latest ballot before the show. The format:\n\n"
        "- **Picture:**\n- **Director:**\n- **Actor:**\n- **Actress:**\n- **Supporting Actor:**\n"
        "- **Supporting Actress:**\n- **Original Screenplay:**\n- **Adapted Screenplay:**"
    ),
}
# How the forum leaned before the show (the consensus of the day, not the results): nominee, weight.
MEGATHREAD_NOMINEES = {
    "Picture": (("Nomadland", 70), ("The Trial of the Chicago 7", 10), ("Minari", 8), ("Sound of Metal", 6),
                ("The Father", 3), ("Promising Young Woman", 2), ("Judas and the Black Messiah", 1), ("Mank", 1)),
    "Director": (("Chloé Zhao", 85), ("David Fincher", 5), ("Emerald Fennell", 5), ("Lee Isaac Chung", 4),
                 ("Thomas Vinterberg", 1)),
    "Actor": (("Chadwick Boseman", 65), ("Anthony Hopkins", 20), ("Riz Ahmed", 12), ("Steven Yeun", 2),
              ("Gary Oldman", 1)),
    "Actress": (("Carey Mulligan", 35), ("Viola Davis", 30), ("Frances McDormand", 18), ("Andra Day", 12),
                ("Vanessa Kirby", 5)),
    "Supporting Actor": (("Daniel Kaluuya", 85), ("Paul Raci", 6), ("Sacha Baron Cohen", 5),
                         ("Leslie Odom Jr.", 3), ("Lakeith Stanfield", 1)),
    "Supporting Actress": (("Youn Yuh-jung", 75), ("Maria Bakalova", 13), ("Glenn Close", 8),
                           ("Olivia Colman", 3), ("Amanda Seyfried", 1)),
    "Original Screenplay": (("Promising Young Woman", 60), ("The Trial of the Chicago 7", 30), ("Minari", 5),
                            ("Sound of Metal", 4), ("Judas and the Black Messiah", 1)),
    "Adapted Screenplay": (("The Father", 50), ("Nomadland", 35), ("Borat Subsequent Moviefilm", 8),
                           ("One Night in Miami...", 5), ("The White Tiger", 2)),
}  # fmt: skip
MEGATHREAD_REPLIES = 60
INTROS = (
    "My ballot:", "Locking these in:", "Here goes nothing.", "Head over heart on most of these:", "Chalk, mostly:",
    "Going bold in a couple of places:", "After far too much thought:", "Version three of my ballot:",
    "Final answer (until tomorrow):", "",
)  # fmt: skip
OUTROS = (
    "", "", "Actress is a coin toss.", "Actress keeps me up at night.", "Changed Actor three times this week.",
    "Fingers crossed for an upset somewhere.", "The screenplays are where I'll lose points.",
    "Don't @ me about {bold}.", "{bold} is my one gamble.", "Feeling good about this one.",
)  # fmt: skip
REACTIONS = (
    "{bold} for {category}? Bold. I respect it.",
    "Identical to mine except {category}.",
    "This is the ballot of someone who's going to top the leaderboard.",
    "Going against the grain in {category}, I like it.",
    "Chalk everywhere. Safe, but where's the fun?",
)


def demo_forums_seed(*, now: datetime | None = None, seed: int = SEED) -> dict:
    """Create the demo boards, moderator and threads; do nothing (and say so) if the demo boards have threads."""
    started = clock.perf_counter()
    now = now or timezone.now()
    slugs = [board["slug"] for board in BOARDS]
    existing = Thread.objects.filter(board__slug__in=slugs).count()
    if existing:
        return {"created": False, "threads": existing, "moderator": _moderator_public()}
    result = _seed(now=now, rng=random.Random(seed))
    return result | {"created": True, "seconds": clock.perf_counter() - started, "moderator": _moderator_public()}


def _moderator_public() -> dict | None:
    if not User.objects.filter(email__iexact=MODERATOR_ACCOUNT["email"]).exists():
        return None
    return {k: str(MODERATOR_ACCOUNT[k]) for k in ("email", "password", "role")}


@transaction.atomic
def _seed(*, now: datetime, rng: random.Random) -> dict:
    begins = now - SPAN
    boards = {}
    for position, spec in enumerate(BOARDS, start=1):
        boards[spec["slug"]], _ = Board.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "description": spec["description"],
                "position": position,
                "is_default": spec["is_default"],
            },
        )
    scripts = [*SCRIPTS, _megathread(rng)]
    events = _schedule(scripts, begins=begins, now=now, rng=rng)
    users = _authors(now=now, begins=begins, spam_at=min(t for t, _, kind, *rest in events if kind == "spam"))
    films = {f.slug: f for f in Film.objects.filter(slug__in={s.film for s in scripts if s.film})}
    categories = {
        c.slug: c
        for c in Category.objects.filter(
            ceremony__show__slug=SHOW_SLUG,
            ceremony__number=CEREMONY_NUMBER,
            slug__in={s.category for s in scripts if s.category},
        )
    }
    missing = sorted({s.film for s in scripts if s.film} - films.keys())
    if not categories and any(s.category for s in scripts):
        missing.append(f"the {CEREMONY_NUMBER}rd Academy Awards")

    threads: dict[int, Thread] = {}
    posts: dict[tuple[int, int], Post] = {}
    for at, _, kind, index, number in events:
        script = scripts[index]
        if kind == "thread":
            threads[index] = services.thread_create(
                author=users[script.author],
                board=boards[script.board],
                title=script.title,
                body=script.body,
                film=films.get(script.film),
                category=categories.get(script.category),
                now=at,
            )
            posts[index, 1] = threads[index].posts.get(number=1)
        elif kind in ("reply", "spam"):
            reply = script.replies[number - 2]
            body, quoted = reply.body, None
            if reply.quote:
                quoted = posts[index, reply.quote]
                body = quote_markdown(author=quoted.author.display_name, source=quoted.source) + body
            posts[index, number] = services.post_create(
                author=users[reply.author], thread=threads[index], body=body, quote_of=quoted, now=at
            )
        elif kind == "report":
            reporter, reason, details = script.replies[number - 2].report
            services.post_report(
                reporter=users[reporter], post=posts[index, number], reason=reason, details=details, now=at
            )
        elif kind == "remove":
            services.post_remove(
                moderator=users["mod"],
                post=posts[index, number],
                reason=script.replies[number - 2].remove_reason,
                now=at,
            )
        elif kind == "pin":
            services.thread_pin(
                moderator=users["mod"], thread=threads[index], pinned=True, reason="The rules, for everyone.", now=at
            )
        elif kind == "lock":
            services.thread_lock(
                moderator=users["mod"], thread=threads[index], locked=True, reason=script.lock_reason, now=at
            )
    return {
        "boards": len(boards),
        "threads": len(threads),
        "posts": Post.objects.filter(thread__in=threads.values()).count(),
        "missing": missing,
    }


def _megathread(rng: random.Random) -> Script:
    """The long thread (three pages at 25 posts a page): ballots drawn from the forum's leanings of the day."""
    writers = ["demo", *EXPERTS, *SYNTHETIC_EDITORS, *FANS]
    replies: list[Reply] = []
    ballots: list[dict[str, str]] = []
    for i in range(MEGATHREAD_REPLIES):
        author = writers[i % len(writers)] if i < len(writers) else rng.choice(writers)
        if i >= 4 and i % 7 == 3:  # now and then, a reaction to an earlier ballot, quoting it
            target = rng.randrange(len(replies))
            while replies[target].quote is not None or replies[target].author == author:
                target = rng.randrange(len(replies))
            picks = ballots[target]
            bold = [cat for cat, pick in picks.items() if pick != MEGATHREAD_NOMINEES[cat][0][0]]
            reaction = rng.choice(REACTIONS if bold else REACTIONS[2:3] + REACTIONS[4:])
            category = bold[0] if bold else "Picture"
            body = reaction.format(bold=picks[category], category=category)
            replies.append(Reply(author, body, quote=target + 2))
            ballots.append({})
            continue
        picks = {
            cat: rng.choices([n for n, _ in nominees], weights=[w for _, w in nominees])[0]
            for cat, nominees in MEGATHREAD_NOMINEES.items()
        }
        bold = [pick for cat, pick in picks.items() if pick != MEGATHREAD_NOMINEES[cat][0][0]]
        intro = rng.choice(INTROS)
        outro = rng.choice(OUTROS)
        if "{bold}" in outro:
            outro = outro.format(bold=bold[0]) if bold else ""
        lines = "\n".join(f"- **{cat}:** {pick}" for cat, pick in picks.items())
        body = "\n\n".join(part for part in (intro, lines, outro) if part)
        replies.append(Reply(author, body))
        ballots.append(picks)
    return Script(replies=tuple(replies), gap_minutes=75, **MEGATHREAD)


def _schedule(scripts: list[Script], *, begins: datetime, now: datetime, rng: random.Random) -> list[tuple]:
    """When each post and moderation action happens, in order: (at, seq, kind, script index, post number).

    Replies follow one another at random gaps; an author's posts are kept AUTHOR_SPACING apart across threads,
    so that nobody posts faster than the rate limits allow.
    """
    by_author: dict[str, list[datetime]] = {}
    events: list[tuple] = []

    def place(author: str, at: datetime) -> datetime:
        taken = by_author.setdefault(author, [])
        while any(abs(at - other) < AUTHOR_SPACING for other in taken):
            at += AUTHOR_SPACING
        taken.append(at)
        return at

    for index, script in enumerate(scripts):
        at = place(script.author, begins + timedelta(days=script.start_day))
        events.append((at, len(events), "thread", index, 1))
        if script.pinned:
            events.append((at + timedelta(minutes=5), len(events), "pin", index, 1))
        for number, reply in enumerate(script.replies, start=2):
            gap = timedelta(minutes=3 + rng.expovariate(1 / script.gap_minutes))
            at = place(reply.author, at + gap)
            events.append((at, len(events), "spam" if reply.author == "spam" else "reply", index, number))
            if reply.report:
                events.append((at + timedelta(minutes=rng.uniform(8, 40)), len(events), "report", index, number))
            if reply.remove_reason:
                events.append((at + timedelta(minutes=rng.uniform(50, 90)), len(events), "remove", index, number))
        if script.lock_reason:
            events.append((at + timedelta(minutes=10), len(events), "lock", index, 1))
    events.sort()
    if events[-1][0] >= now:
        raise RuntimeError("The demo forums' timeline runs past now: shorten the gaps or start the threads earlier.")
    return events


def _authors(*, now: datetime, begins: datetime, spam_at: datetime) -> dict[str, User]:
    """The demo season's accounts by role, the moderator, and stand-ins for whoever is missing."""
    users: dict[str, User] = {}
    by_email = {u.email.lower(): u for u in User.objects.filter(email__in=[DEMO_FAN_EMAIL, DEMO_EDITOR_EMAIL])}
    if DEMO_FAN_EMAIL in by_email:
        users["demo"] = by_email[DEMO_FAN_EMAIL]
    if DEMO_EDITOR_EMAIL in by_email:
        users["editor"] = by_email[DEMO_EDITOR_EMAIL]
    synthetic = User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}", is_active=True).order_by("email")
    for keys, role in ((EXPERTS, User.Role.EXPERT), (SYNTHETIC_EDITORS, User.Role.EDITOR), (FANS, User.Role.FAN)):
        pool = list(synthetic.filter(role=role).exclude(email__startswith="forum-")[: len(keys) * 7])
        # Every seventh of the first accounts: a spread of the season's display names, the same on every run.
        users.update(zip(keys, pool[::7], strict=False))
    for key, name in FALLBACK_NAMES.items():
        if key not in users:
            role = User.Role.EDITOR if key in ("editor", *SYNTHETIC_EDITORS) else User.Role.FAN
            role = User.Role.EXPERT if key in EXPERTS else role
            users[key] = _user_get_or_create(
                email=f"forum-{key}@{DEMO_EMAIL_DOMAIN}", name=name, role=role, joined=begins - timedelta(days=60)
            )
    users["mod"] = _moderator_get_or_create()
    users["spam"] = _user_get_or_create(
        email=SPAMMER["email"], name=SPAMMER["name"], role=User.Role.FAN, joined=spam_at - timedelta(minutes=40)
    )
    # The visitor accounts were made a moment ago by seed_demo_season, yet they post over the last ten days: give
    # them the month-old join date their posts imply (and which keeps them out of the new-account posting limit).
    # A queryset update, since a join date is no field a form or service ever changes. Only ever moved back.
    joined = now - timedelta(days=30)
    visitor_keys = ("demo", "editor", "mod")
    User.objects.filter(pk__in=[users[k].pk for k in visitor_keys], date_joined__gt=joined).update(date_joined=joined)
    for key in visitor_keys:
        users[key].refresh_from_db(fields=["date_joined"])
    return users


def _free_name(name: str) -> str:
    candidate, n = name, 1
    while User.objects.filter(display_name__iexact=candidate).exists():
        n += 1
        candidate = f"{name} {n}"
    return candidate


def _user_get_or_create(*, email: str, name: str, role: str, joined: datetime) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(email=email, display_name=_free_name(name), role=role, date_joined=joined)
        user.set_unusable_password()
        user.full_clean()
        user.save()
    return user


def _moderator_get_or_create() -> User:
    """The account visitors moderate with; left alone when it exists (its owner may have changed it)."""
    account = MODERATOR_ACCOUNT
    user = User.objects.filter(email__iexact=account["email"]).first()
    if user is None:
        user = User.objects.create_user(
            account["email"], account["password"], display_name=_free_name(account["name"]), role=account["role"]
        )
    return user
