"""Common given names, to tell which end of a full name is the first name.

Italian lists often write the surname first ("Rossi Mario": registers, schools, many
exports); badge printers and other countries put it last. A file's full names are read
one way or the other by how often a known given name opens or closes them (see
rows.surname_first). The names are folded (lower case, no accents, no spaces), as
`crm.services.normalise.fold` gives them; the nickname groups of `nicknames` are added.
Only the commonest names are listed: an unknown name counts for neither order.
"""

from crm.services.nicknames import NAME_GROUPS

_ITALIAN = """
adele adriana agata agnese alba alberto alda aldo alessandra alessandro alessia alessio
alfredo alice amalia ambra ambrogio amedeo angela angelo anita anna annalisa annamaria
antonella antonietta antonio arianna armando arturo asia assunta attilio aurora barbara
beatrice benedetta benito bianca brando bruna bruno camilla carla carlo carmela carmen
carmine carolina caterina cecilia celeste cesare chiara cinzia clara claudia claudio
concetta corrado cosimo cristian cristiana cristina daniela daniele dario davide debora
denis diana diego dino domenico donatella donato dora edoardo elena eleonora elia elisa
elisabetta emanuela emanuele emilia emilio emma enrica enrico enzo erica ermanno ernesto
ettore eugenio fabiana fabio fabrizio federica federico felice ferdinando fernando filippo
fiorella flavia flavio franca francesca francesco franco gabriele gabriella gaetano
giacomo giada gianluca gianni giorgia giorgio giovanna giovanni gino ginevra giulia
giuliana giuliano giulio giuseppe giuseppina grazia graziella greta guido ignazio ilaria
irene iris isabella italo ivan ivana jacopo lara laura lea leonardo letizia lidia liliana
lino livia lorena lorenzo loredana luana luca lucia luciana luciano lucio lucrezia luigi
luisa manuela manuel marcello marco margherita maria mariagrazia mariangela marianna
marina mario marisa marta martina massimo matilde matteo mattia maura maurizio mauro
melissa michela michele mirella miriam monica nadia nicola nicoletta nicolo niccolo noemi
norma olga orazio ornella ottavio paola paolo pasquale patrizia patrizio piera pietro
pierluigi pino raffaele raffaella renata renato riccardo rita roberta roberto rocco
romano rosa rosalba rosanna rosaria rossana ruggero sabrina salvatore samuele sandra
sara serena sergio silvana silvia silvio simona simone sofia sonia stefania stefano
susanna tania teresa tiziana tiziano tommaso ugo umberto valentina valentino valeria
valerio vanessa vincenzo viola virginia vito vittoria vittorio viviana walter
albina cristiano daria doris elio erika fabiano fabiola ilenia loris manuele marika
mariella marzia marzio mirco mirko nives ottavia rossella sabina tatiana
carlotta andreina simonetta pasqualina giacomina salvatrice ivonne ivo adamo ada cornelia
mattea
"""

_INTERNATIONAL = """
aaron adam adrian ahmed aisha alan albert alejandro alexander alexandra ali alice alicia
amanda amy ana andre andrea andreas andrew angela ann anna anne anthony antoine antonio
ben benjamin bernard brian carlos caroline catherine charles charlotte chen chris
christian christina christine christopher claire daniel david deborah dennis diana
dimitri donald dorothy edward elena elizabeth emily emma eric eva fatima felix fernando
francois frank gabriel george gerard hannah hans harry helen henry hugo ian irina isabel
jack jacques james jan jane jason javier jean jennifer jessica joao johannes john jonathan
jorge jose joseph juan julia julie karen karl katarzyna kevin klaus laura lauren linda
lisa louis lucas luis marc maria marie mark martin mary matthew michael michel mohamed
mohammed monica natalia nicolas nikola olga oliver olivia patrick paul peter philippe
pierre rachel rebecca richard robert rosa ruth ryan sandra sarah sebastian sergei sophie
stefan stephen steven susan thomas tim timothy tom victor victoria vladimir wei william
yuki zoe
nicole paula joan petra josephine
oleg yuriy yuliya svetlana natalya tatyana ekaterina lyudmila galina oksana andrei igor
mikhail maxim pavel nikolai dmitry aleksei aleksandr aleksandra evgeny anastasia
nikos niki dimitris dimitra giorgos eleni konstantinos katerina ioannis panagiotis
vasilis vasiliki christos spyros anastasios athanasios theodoros despina evangelos
evangelia paraskevi
piotr krzysztof tomasz pawel agnieszka malgorzata lukasz marek ewa joanna wojciech andrzej
jakub
karel karla pavla pawla zdenek zdenka radek radka karola marian marina michal michaela
stefania
"""


# Given names that are also among the commonest Italian surnames ("Maria Romano", "Bruno
# Rosa"): they tell nothing about the order, so they are left out.
_SURNAMES_TOO = frozenset("romano bruno franco rocco felice rosa pasquale".split())


def _known() -> frozenset[str]:
    names = set(_ITALIAN.split()) | set(_INTERNATIONAL.split())
    for variants, diminutives in NAME_GROUPS:
        names.update(variants)
        names.update(diminutives)
    return frozenset(names - _SURNAMES_TOO)


GIVEN_NAMES = _known()
# Every name the lists know, those that are also surnames included: for telling two
# people's first names apart (Rosa / Rosaria), not a file's name order.
FIRST_NAMES = GIVEN_NAMES | _SURNAMES_TOO
# The two lists apart: two names of one list are two names; an Italian name and a name of
# another language may be one name translated (Giulia / Julia, Paolo / Paul).
ITALIAN_NAMES = frozenset(_ITALIAN.split())
INTERNATIONAL_NAMES = frozenset(_INTERNATIONAL.split())
# Names that Italian gives a man and other languages a woman, with the men's names of those
# languages that are "the same name" by the nickname groups or the spelling rules: Andrea
# is a woman in Germany, England, Spain and France, where the man is Andreas, Andrew,
# Andrés, André. On one family email or landline the two may be a couple, a brother and a
# sister. (Michele beside Michael, an English man's and a rare English woman's name, is
# left one name: mostly an Italian Michele written in English.)
WOMEN_ELSEWHERE = {
    "andrea": frozenset({"andreas", "andrew", "andres", "andre"}),
    "nicola": frozenset({"nicholas", "nicolas", "nikolaus", "niklas", "nicolaas"}),
    "simone": frozenset({"simon"}),
    "michele": frozenset({"michel"}),
    "daniele": frozenset({"daniel"}),
    "gabriele": frozenset({"gabriel"}),
}
# Men's names ending in -el whose French feminine ends in -elle (Daniel / Danielle, Michel
# / Michelle, Emmanuel / Emmanuelle), as is the Italian man's -ele beside it (Daniele /
# Danielle). Names in -bel are a woman's already (Isabel / Isabelle).
MEN_IN_EL = frozenset(
    "daniel michel gabriel emmanuel emanuel manuel raphael samuel noel joel marcel lionel "
    "axel ismael nathanael".split()
)
# French men's names whose feminine adds -e or -ne (or writes -c as -que) and that the
# lists above do not hold: with them, matching.feminine_form knows a man's name from a
# slip that drops a woman's final -e (Kyle / Kyl, Paige / Paig).
FRENCH_MEN = frozenset(
    "julien fabien lucien adrien damien sebastien vivien aurelien bastien maximilien "
    "octavien pascal justin gilbert germain yvon yvan frederic dominic ludovic emeric "
    "armand fernand raymond edmond gerald clement vincent laurent florent augustin "
    "valentin quentin corentin josselin".split()
)
# Women's names ending in a consonant whose form with a final -e (or -ne) is the same
# woman's name in another language or spelling (Ann / Anne, Susan / Susanne, Helen /
# Hélène, Carol / Carole, the Dutch Els / the German Else): not the man's and woman's pair
# that such an ending makes of Jean / Jeanne, Louis / Louise, Julien / Julienne
# (matching.feminine_form), nor their -a a man's feminine (matching.feminine_in_a).
WOMEN_IN_CONSONANT = frozenset(
    "ann jasmin yasmin kristin christin kirsten josephin nadin karin carolin karolin "
    "katherin catherin kathrin madelein marion susan helen ellen karen evelin jacquelin "
    "rosalin adelin emelin ingrid astrid sigrid gudrun miriam judith edith ruth esther "
    "ester rachel ethel hazel muriel carmen doris iris agnes lourdes mercedes dolores carol els "
    "lies".split()
)
# Men's names ending in a consonant whose feminine ends in -a, in Slavic, Germanic,
# Scandinavian and Romance languages, that the lists above do not hold: with them,
# matching.feminine_in_a knows Marian / Marina, Radek / Radka or Emil / Emilia for a man
# and a woman, not one name's slip.
MEN_IN_CONSONANT = frozenset(
    "marian dorian radek ludek zdenek kristijan emil eugen luc cecil milan bogdan marcel "
    "dominik kamil milos dusan zoran goran dragan roman leon julian fabian florian damian "
    "lucian erik jens".split()
)
# Men's names ending in -a: Italian (Andrea, Luca, Nicola, Mattia), Russian (Ilya, Nikita,
# Danila) and the diminutives of other languages (Sasha, Misha). Beside a man's name they
# are no feminine of it (Matt / Mattia, Daniel / Danila: matching.feminine_in_a).
MEN_IN_A = frozenset(
    "andrea luca gianluca nicola mattia elia enea battista tobia geremia isaia zaccaria "
    "giona ilya ilia ilija nikita danila gavrila foma kuzma savva luka nikola kosta sasha "
    "sacha misha mischa pasha".split()
)
# Names of two or three letters that the lists above do not hold (Al, Bo, Ty): written in
# capitals they are still a name, not a compound name's initials (matching._initials).
SHORT_NAMES = frozenset("al bo cy di ed jo ty vi li yu an kai ida pia noa".split())
