"""What each legal point the system can cite says, in words (pure data).

`itpc show` prints a decision's rules as the law states them, so an officer need not open the order to know
why a request was refused or shortened. Each statement is the law's own Lithuanian wording taken from
`/work/shared/rules/` (1B-1029: Muitinės veiklos tęstinumo taisyklės; 1B-280: AFIS/CIS+ taisyklės; 1B-1052:
ETD leidimų taisyklės); where
a point is long, the parts left out are marked "…", and every remaining fragment is verbatim (the tests
check this against the legal texts). Covered: every point the rules engine, the officer CLI, the reason
lists, the scheduler and the AFIS modules cite, and the neighbouring points an officer is likely to cite
with `itpc decide --rule`. A point not listed here is shown as just its number.
"""
from __future__ import annotations

from typing import Any

# Orders by number, with the title of the rules each one approves (nominative, as a heading reads).
LAWS: dict[str, str] = {
    "1B-1029": "Muitinės veiklos tęstinumo taisyklės",
    "1B-280": "AFIS/CIS+ taisyklės",
    "1B-1052": "Leidimų naudoti elektroninį transporto dokumentą kaip muitinės deklaraciją suteikimo taisyklės",
}

_INTRO_8 = "Pateikdamas Prašymą, asmuo nurodo: … "
_INTRO_280_7 = "Prašyme turi būti nurodyta: … "

RULE_WORDS: dict[str, str] = {
    # --- 1B-1029, II skyrius: kai neveikia asmens informacinė sistema ------------------------------------
    "1B-1029:6": (
        "Jeigu asmuo negali vykdyti elektroninių duomenų mainų, t. y. negali perduoti elektroninių deklaracijų "
        "duomenų muitinės įstaigai muitinės formalumams atlikti dėl to, kad neveikia asmens informacinė sistema "
        "ir (arba) aparatinė įranga bei kita informacinė infrastruktūra, ir asmuo neturi kitos galimybės pateikti "
        "elektroninių deklaracijos duomenų muitinei kitais elektroninių duomenų teikimo muitinei būdais … , "
        "jis turi teisę pateikti prašymą taikyti veiklos tęstinumo procedūrą"),
    "1B-1029:7": "Prašymą asmuo ITPC gali pateikti faksu (8 5) 236 2338 arba elektroniniu paštu ITPC@lrmuitine.lt.",
    "1B-1029:8": (
        _INTRO_8 + "asmenį ir asmens atstovą identifikuojančius duomenis; … laiko tarpą, per kurį asmuo "
        "pageidauja taikyti veiklos tęstinumo procedūrą (jo pradžią ir pabaigą minučių tikslumu); … priežastis, "
        "dėl kurių asmuo negali vykdyti elektroninių duomenų mainų."),
    "1B-1029:8.1": _INTRO_8 + "asmenį ir asmens atstovą identifikuojančius duomenis.",
    "1B-1029:8.2": (
        _INTRO_8 + "laiko tarpą, per kurį asmuo pageidauja taikyti veiklos tęstinumo procedūrą (jo pradžią ir "
        "pabaigą minučių tikslumu)."),
    "1B-1029:8.3": _INTRO_8 + "priežastis, dėl kurių asmuo negali vykdyti elektroninių duomenų mainų.",
    "1B-1029:9": (
        "ITPC, gavęs asmens Prašymą, ne vėliau kaip per 2 valandas nuo jo įregistravimo (gavimo) išduoda "
        "Sutikimą taikyti veiklos tęstinumo procedūrą … arba atsisako jį išduoti."),
    "1B-1029:10": (
        "Prašymai ir Sutikimai arba atsisakymai išduoti Sutikimą registruojami ITPC naudojamoje Informacinių "
        "technologijų paslaugų valdymo sistemoje."),
    "1B-1029:11": (
        "ITPC, išdavęs Sutikimą, privalo nedelsdamas (ne vėliau kaip per 30 minučių nuo Sutikimo įregistravimo "
        "registre) apie tai informuoti asmens Prašyme nurodytas muitinės įstaigas."),
    "1B-1029:12": (
        "ITPC atsisako išduoti Sutikimą jeigu Prašyme nurodytos priežastys, dėl kurių asmuo negali vykdyti "
        "elektroninių duomenų mainų, yra neobjektyvios arba asmeniui per paskutines 30 kalendorinių dienų nuo "
        "Prašymo gavimo ITPC buvo išduoti daugiau kaip 4 Sutikimai."),
    "1B-1029:13": (
        "Apie Sutikimo išdavimą arba atsisakymą jį išduoti ITPC nedelsdamas informuoja Prašymą pateikusį asmenį, "
        "išsiųsdamas Sutikimą arba sprendimą dėl atsisakymo išduoti Sutikimą elektroniniu paštu ir (arba) faksu "
        "… Sprendime dėl atsisakymo išduoti Sutikimą turi būti nurodomi šio sprendimo motyvai."),
    "1B-1029:14": (
        "Sutikimas išduodamas asmens prašomam arba trumpesniam laikotarpiui, bet ne ilgesniam kaip 2 darbo "
        "dienos. Jeigu per Sutikime nurodytą laiką asmuo negali pradėti vykdyti elektroninių duomenų mainų, "
        "pateikiamas kitas Prašymas ir išduodamas (neišduodamas) kitas Sutikimas."),
    "1B-1029:15": (
        "Pasibaigus Sutikimo galiojimo laikui arba asmeniui vėl turint galimybę vykdyti elektroninių duomenų "
        "mainus, veiklos tęstinumo procedūra nebetaikoma."),
    "1B-1029:16": (
        "Jeigu asmuo vėl gali vykdyti elektroninių duomenų mainus anksčiau, negu pasibaigia Sutikimo galiojimo "
        "laikas, jis privalo nedelsdamas apie tai pranešti ITPC, kuris apie tai praneša muitinės įstaigoms, "
        "nurodytoms Sutikime."),
    # --- 1B-1029, III skyrius: kai neveikia MDAS ------------------------------------------------------------
    "1B-1029:17": (
        "Laikoma, kad MDAS neveikia, jeigu MDAS priemonėmis negali būti vykdomi elektroninių duomenų mainai dėl "
        "iš anksto numatyto MDAS veikimo stabdymo arba nenumatyto MDAS veikimo sutrikimo."),
    "1B-1029:18": (
        "Tuo atveju, kai iš anksto žinomas MDAS neveikimo laikas, ITPC informaciją apie tai paskelbia Lietuvos "
        "muitinės interneto svetainėje (www.lrmuitine.lt) likus mažiausiai vienai dienai iki numatomo MDAS "
        "stabdymo."),
    "1B-1029:19": (
        "Tuo atveju, kai iš anksto nebuvo paskelbta apie MDAS stabdymą, o asmuo negali vykdyti elektroninių "
        "duomenų mainų ne dėl to, kad neveikia asmens taikomoji programinė ir (arba) aparatinė įranga bei kita "
        "informacinė infrastruktūra, jis kreipiasi į ITPC Taisyklių 7 ir 8 punktų nustatyta tvarka."),
    "1B-1029:20": (
        "Neatstačius MDAS veikimo sutrikimo ilgiau nei 2 valandas arba pratęsus MDAS stabdymo laiką, ITPC "
        "informuoja visas muitinės įstaigas ir paskelbia Lietuvos muitinės interneto svetainėje "
        "(www.lrmuitine.lt) apie tai, kad asmenims pradėti taikyti veiklos tęstinumo procedūrą (ją pratęsti) "
        "leidžiama nepateikus Prašymo. Atstačius MDAS veikimą, ITPC informuoja muitinės įstaigas ir sutrikimus "
        "registravusius asmenis ir paskelbia Lietuvos muitinės interneto svetainėje (www.lrmuitine.lt) veiklos "
        "tęstinumo procedūros taikymo laiko pabaigą."),
    # --- 1B-1029, IV–V skyriai: NTKS, baigiamosios nuostatos ------------------------------------------------
    "1B-1029:31": (
        "Tuo atveju, jeigu NTKS neveikia ilgiau nei 2 val. ir iš ITPC yra gautas Sutikimas taikyti veiklos "
        "tęstinumo procedūrą (2 priedas) arba ITPC nurodymu, dirbama be NTKS."),
    "1B-1029:32": (
        "Tuo atveju, kai iš anksto žinomas NTKS neveikimo laikas, ITPC informaciją apie tai paskelbia Lietuvos "
        "muitinės interneto svetainėje (www.lrmuitine.lt) prieš 30 dienų iki numatomo NTKS stabdymo. Atstačius "
        "NTKS veikimą, ITPC informuoja elektroniniu paštu muitinės įstaigas ir sutrikimus registravusius asmenis "
        "ir paskelbia Lietuvos muitinės interneto svetainėje (www.lrmuitine.lt) veiklos tęstinumo procedūros "
        "taikymo pabaigą."),
    "1B-1029:44": (
        "Taisyklėse nustatyta muitinės veiklos tęstinumo procedūra (pateikus Prašymą) taikoma ir tais atvejais, "
        "kai asmuo negali teikti … elektroninių duomenų … bei vykdyti šių duomenų mainų su Muitine dėl "
        "objektyvių priežasčių, susijusių su susietai su MDAS arba NTKS veikiančiomis sistemomis."),
    "1B-1029:45": (
        "Informacija apie muitinės informacinių sistemų neprieinamumą skelbiama Lietuvos Respublikos muitinės "
        "portalo rubrikoje „Muitinės informacinių sistemų neprieinamumas“"),
    # --- 1B-280: AFIS/CIS+ ----------------------------------------------------------------------------------
    "1B-280:3.27": (
        "Pažeidimų valdymo sistema (angl. Irregularity Management System) (toliau – IMS) – Europos kovos su "
        "sukčiavimu tarnybos administruojama informacinė sistema, AFIS dalis, sudaryta iš skirtingų modulių, "
        "kuriuose pateikiama informacija apie sukčiavimo atvejus, susijusius su neteisėtu Europos Sąjungos lėšų "
        "panaudojimu."),
    "1B-280:6": (
        "Lietuvos Respublikos muitinės (toliau – muitinė) arba kitos Lietuvos Respublikos institucijos atstovas, "
        "kuriam pagal atliekamas funkcijas reikalinga naudotis AFIS/CIS+, privalo užpildyti Prašymą dėl teisės "
        "naudotis AFIS/CIS+ ir tvarkyti šiose sistemose esančius duomenis suteikimo (1 priedas)"),
    "1B-280:7": (
        _INTRO_280_7 + "muitinės įstaigos arba kitos Lietuvos Respublikos institucijos pavadinimas; … "
        "reikalingas AFIS/CIS+ naudotojo prieigos tipas (CCN/CSI arba Internet/Secure Web); … AFIS/CIS+ "
        "moduliai, su kuriais pagal atliekamas funkcijas reikia dirbti … tikslai, kuriems įgyvendinti "
        "reikalinga prieiga prie AFIS/CIS+"),
    "1B-280:7.1": _INTRO_280_7 + "muitinės įstaigos arba kitos Lietuvos Respublikos institucijos pavadinimas.",
    "1B-280:7.2": (
        _INTRO_280_7 + "muitinės arba kitos Lietuvos Respublikos institucijos pareigūno, kuriam pagal atliekamas "
        "funkcijas reikalinga gauti AFIS/CIS+ naudotojo teises, pareigos, vardas ir pavardė, tel. Nr., el. p. "
        "adresas."),
    "1B-280:7.3": _INTRO_280_7 + "reikalingas AFIS/CIS+ naudotojo prieigos tipas (CCN/CSI arba Internet/Secure Web).",
    "1B-280:7.4": (
        _INTRO_280_7 + "AFIS/CIS+ moduliai, su kuriais pagal atliekamas funkcijas reikia dirbti: Alib, AFIS "
        "paštas, AREP (AMT), CIS (EU), CIS (MS), CIS+ Cash Declarations, CIS+ CigInfo, CIS+ MarInfo, CIS+ "
        "YachtInfo, CSM, FIDE (EU), FIDE (MS), IET, MAS, ToSMA, V-OCU, … TDM …, URT."),
    "1B-280:7.5": (
        _INTRO_280_7 + "jei atliekant funkcijas reikės naudotis AFIS paštu, nurodoma reikalinga AFIS pašto "
        "dėžutė (jei institucija turi daugiau nei vieną AFIS pašto dėžutę)."),
    "1B-280:7.6": (
        _INTRO_280_7 + "tikslai, kuriems įgyvendinti reikalinga prieiga prie AFIS/CIS+ (pvz., nurodyti "
        "konkrečias funkcijas, kurioms atlikti reikalinga prieiga prie nurodytų sistemų)."),
    "1B-280:8": (
        "Užpildytą ir pasirašytą Prašymą Muitinės informacinių technologijų paslaugų centrui … pateikia jį "
        "užpildžiusio atstovo tiesioginis vadovas arba muitinės įstaigos ar kitos Lietuvos Respublikos "
        "institucijos vadovas."),
    "1B-280:9": (
        "AFIS pareigūnas ryšiams palaikyti įvertina, ar pateiktas Prašymas atitinka Taisyklių reikalavimus. "
        "Nustačius, kad prašymas užpildytas neteisingai, netinkamai arba jame pateikta ne visa Taisyklėse "
        "nurodyta informacija, prašymo kopija su raštu išdėstytais jo trūkumais prašyme nurodytu el. p. "
        "grąžinama jį užpildžiusiam muitinės ar kitos Lietuvos Respublikos institucijos atstovui. AFIS "
        "pareigūnas ryšiams palaikyti taip pat nustato laikotarpį, per kurį prašymas turi būti pataisytas arba "
        "papildytas."),
    "1B-280:10": (
        "AFIS pareigūnas ryšiams palaikyti, įvertinęs Prašymą ir priėmęs sprendimą atstovui suteikti AFIS/CIS+ "
        "naudotojo teises ir tvarkyti šiose sistemose esančius duomenis, naudodamasis URT atlieka naudotojo "
        "prieigos registravimo darbus."),
    "1B-280:13": (
        "Muitinės ar kitos Lietuvos Respublikos institucijos atstovas, kuriam pagal atliekamas funkcijas "
        "reikalinga gauti AFIS/CIS+ naudotojo teises darbui su IMS moduliais, dėl naudotojo teisių suteikimo "
        "kreipiasi į atitinkamus IMS modulius administruojančius Lietuvos Respublikos institucijų … pareigūnus. "
        "Tokiu atveju į AFIS pareigūną ryšiams palaikyti kreipiamasi tik dėl prisijungimo vardo ir slaptažodžio "
        "suteikimo (CCN/CSI tinklo naudotojo prieigos suteikimo atveju)."),
    "1B-280:14": (
        "Pasikeitus prašyme nurodytiems duomenims, kurie turi įtakos AFIS/CIS+ naudotojo teisėms naudotis "
        "minėtomis sistemomis arba atskirais jų moduliais … , atstovo, kuriam buvo suteikta AFIS/CIS+ prieiga, "
        "tiesioginis vadovas arba muitinės įstaigos ar kitos Lietuvos Respublikos institucijos vadovas per 2 "
        "darbo dienas, el. p. apie tai informuoja AFIS pareigūną ryšiams palaikyti."),
    "1B-280:15": (
        "Jeigu AFIS/CIS+ naudotojas netenka teisių naudotis AFIS/CIS+ ir tvarkyti šiose sistemose esančių "
        "duomenų … , atstovo, kuriam buvo suteikta AFIS/CIS+ prieiga, tiesioginis vadovas arba muitinės "
        "įstaigos ar kitos Lietuvos Respublikos institucijos vadovas per 2 darbo dienas, el. p. apie tai "
        "informuoja AFIS pareigūną ryšiams palaikyti."),
    "1B-280:16": (
        "AFIS pareigūnas ryšiams palaikyti, gavęs prašymą pakeisti suteiktas teises arba informaciją apie teisės "
        "naudotis AFIS/CIS+ panaikinimą, URT priemonėmis užtikrina AFIS/CIS+ naudotojui suteiktų teisių apimčių "
        "keitimą ar atstovo teisės dirbti su AFIS/CIS+ panaikinimą."),
    "1B-280:17": (
        "AFIS pareigūnas ryšiams palaikyti URT priemonėmis nuolat stebi muitinės ar kitų Lietuvos Respublikos "
        "institucijų atstovams suteiktų AFIS/CIS+ prieigų panaudojimą, t. y. prisijungimo datą, kada atitinkamas "
        "AFIS/CIS+ naudotojas paskutinį kartą buvo prisijungęs prie AFIS ir (arba) CIS+."),
    "1B-280:18": (
        "AFIS pareigūnas ryšiams palaikyti, nustatęs, kad AFIS/CIS+ naudotojas prie šių sistemų nesijungė "
        "daugiau kaip 9 mėnesius, URT priemonėmis AFIS/CIS+ naudotojo prieigai suteikia būseną „Neaktyvi“ "
        "(angl. Inactive). Apie tai el. paštu informuojamas AFIS/CIS+ naudotojas. AFIS/CIS+ naudotojui prie "
        "AFIS/CIS+ nesijungiant daugiau negu metus AFIS pareigūnas ryšiams palaikyti teisę naudotis nurodytomis "
        "sistemomis panaikina be papildomo pranešimo."),
}


# 1B-1052: the ETD authorisations register (itpc/etd.py, responders/etd_rules.py, the TC26 form).
RULE_WORDS.update({
    "1B-1052:3.1": (
        "Bendrojo tranzito konvencija – Europos Bendrijos ir Europos laisvosios prekybos asociacijos šalių "
        "konvencija dėl bendrosios tranzito procedūros, pasirašyta 1987 m. gegužės 20 d. Interlakene."),
    "1B-1052:6.4": (
        "prašyme suteikti leidimą įsipareigoti, kad, gavusi leidimą, reguliariai naudosis Sąjungos arba "
        "bendrosiomis tranzito procedūromis, nurodydama numatomą tranzito procedūrų skaičių per mėnesį."),
    "1B-1052:14": (
        "Teritorinė muitinė apie sprendimą priimti prašymą suteikti leidimą arba šio prašymo nepriimti pareiškėją "
        "informuoja MSVS priemonėmis. Prašymo suteikti leidimą priėmimo data nustatoma automatiškai."),
    "1B-1052:16": (
        "Jeigu išvykimo ir (arba) paskirties muitinės įstaigos, nurodytos prašyme suteikti leidimą, yra skirtingose "
        "valstybėse narėse ar bendrojo tranzito šalyse, prašymą priėmusi teritorinė muitinė iš karto, bet ne "
        "vėliau kaip kitą darbo dieną pradeda konsultavimosi procedūrą … Jeigu išvykimo ir (arba) paskirties "
        "muitinės įstaiga yra kitoje valstybėje narėje, … konsultavimosi procedūra atliekama MVSV priemonėmis, o "
        "jeigu bendrojo tranzito šalyje – elektroniniu paštu išsiunčiant konsultavimosi raštą, kurio forma "
        "pateikta Taisyklių priede, ir prašymo suteikti leidimo kopiją."),
    "1B-1052:17": (
        "laikoma, kad bendrovė, pageidaujanti gauti leidimą, reguliariai vykdys tranzito procedūras, jeigu ji "
        "numato … jas vykdyti ne mažiau nei 12 mėnesių tokiu dažnumu: ne rečiau kaip šešis kartus per mėnesį "
        "arba ne mažiau nei septyniasdešimt penkis kartus per kalendorinius metus. … ne mažiau nei 30 skrydžių "
        "per mėnesį arba ne mažiau nei 300 skrydžių per metus. … ne mažiau nei 10 reisų per mėnesį arba ne "
        "mažiau nei 100 reisų per metus."),
    "1B-1052:18": (
        "Teritorinė muitinė tikrina, ar oro linijų bendrovė arba laivybos bendrovė atitinka Sąjungos muitinės "
        "kodekso 39 straipsnio a punkto reikalavimus"),
    "1B-1052:21": (
        "Jeigu oro linijų bendrovei arba laivybos bendrovei suteiktas leidimas naudotis įgaliotojo ekonominės "
        "veiklos vykdytojo (toliau – AEO) statusu (AEO leidimas „Muitinės formalumų supaprastinimas“), laikoma, "
        "kad jis atitinka Sąjungos muitinės kodekso 39 straipsnio a, b ir d punktų reikalavimus."),
    "1B-1052:22": (
        "Teritorinė muitinė, atsižvelgdama į Taisyklių 15 punkte nurodyto tikrinimo (įvertinimo) ir Taisyklių 16 "
        "punkte nurodytų konsultacijų rezultatus, … priima sprendimą suteikti pareiškėjui prašomą leidimą arba "
        "sprendimą prašymo netenkinti."),
    "1B-1052:23": (
        "Kiekvienai oro linijų bendrovei arba laivybos bendrovei, kurios prašymas suteikti leidimą priimamas, jį "
        "priėmusi teritorinė muitinė užveda bylą"),
    "1B-1052:23.1": (
        "MSVS priemonėmis suformuoti bendrovės prašymų suteikti leidimą egzemplioriai ir paaiškinimai, pateikti "
        "bendrovei informavus apie ketinimą prašymo netenkinti"),
    "1B-1052:24": (
        "Taisyklių 23 punkte nurodyti dokumentai, išskyrus dokumentus, nurodytus Taisyklių 23.3 ir 23.7 "
        "papunkčiuose, turi būti saugomi ne trumpiau kaip trejus metus nuo sprendimo dėl leidimo pripažinimo "
        "negaliojančiu arba jo atšaukimo priėmimo kalendorinių metų pabaigos."),
    "1B-1052:25.2": (
        "ne vėliau kaip per 30 darbo dienų nuo leidimo suteikimo, įvertinusi riziką, susijusią su leidimo "
        "turėtojo veikla, patvirtina leidimo turėtojo stebėsenos planą"),
    "1B-1052:28": (
        "Leidimo galiojimas teritorinės muitinės sprendimu sustabdomas Sąjungos muitinės kodekso deleguotojo akto "
        "16 straipsnio 1 dalyje nurodytais atvejais."),
    "1B-1052:29": (
        "Pašalinus nustatytus trūkumus … teritorinės muitinės sprendimas dėl leidimo galiojimo sustabdymo "
        "atšaukiamas ir atnaujinamas leidimo galiojimas."),
    "1B-1052:30": (
        "Leidimas teritorinės muitinės sprendimu iš dalies keičiamas, pripažįstamas negaliojančiu arba "
        "atšaukiamas Sąjungos muitinės kodekso 23 straipsnio 3 dalyje, 27 ir 28 straipsnyje nurodytais atvejais "
        "ir sąlygomis."),
    "1B-1052:32": (
        "teritorinė muitinė, priėmusi sprendimą iš dalies pakeisti leidimą, sustabdyti leidimo galiojimą, leidimą "
        "pripažinti negaliojančiu arba jį atšaukti, iš karto, bet ne vėliau kaip kitą darbo dieną apie jį "
        "informuoja šalių, kuriose yra leidime nurodytos išvykimo ir (arba) paskirties muitinės įstaigos, "
        "kompetentingas įstaigas."),
    "1B-1052:33": (
        "Priėmus sprendimą netenkinti prašymo suteikti leidimą, iš dalies jį pakeisti, sustabdyti leidimo "
        "galiojimą, leidimą pripažinti negaliojančiu arba jį atšaukti … nurodomi tokio sprendimo įsigaliojimo "
        "data, motyvai ir oro linijų bendrovės arba laivybos bendrovės teisė jį apskųsti teisės aktų nustatyta "
        "tvarka."),
    "1B-1052:34": (
        "leidimas įsigalioja tą dieną, kurią pareiškėjas jį gauna arba laikomas gavusiu, ir galioja neribotą "
        "laiką."),
    "1B-1052:36": (
        "Teritorinė muitinė, suteikusi ar iš dalies pakeitusi leidimą, sustabdžiusi leidimo galiojimą, leidimą "
        "pripažinusi negaliojančiu arba jį atšaukusi, iš karto, bet ne vėliau kaip kitą darbo dieną apie tai "
        "elektroniniu paštu informuoja išvykimo ir (arba) paskirties muitinės įstaigas, nurodytas atitinkamame "
        "leidime."),
    "1B-1052:37": (
        "Oro linijų bendrovių arba laivybos bendrovių, kurioms suteikti leidimai, apskaitos registrų teminiai "
        "mokestiniai, tiksliniai muitiniai patikrinimai ar kiti patikrinimai … atliekami … bet ne rečiau nei "
        "kartą per 1 kalendorinius metus."),
    "1B-1052:40": (
        "Valstybių narių ir bendrojo tranzito šalių kompetentingų įstaigų elektroninio pašto adresai paskelbti "
        "Europos Komisijos Mokesčių ir muitų sąjungos (TAXUD) generalinio direktorato tinklalapyje"),
})

def normal_point(point: str) -> str:
    """A citation as the code writes it: no blanks, no sentence-final full stop ("1B-1029:12." → "1B-1029:12")."""
    return "".join(str(point).split()).rstrip(".")


def words_for(point: str) -> str | None:
    """What the point says (the law's wording), or None for a point this table does not hold."""
    return RULE_WORDS.get(normal_point(point))


def citation(point: str) -> dict[str, Any]:
    """A cited point as `itpc show` reports it: the point as cited, the rules it belongs to, its words.

    ``law`` is None for an order this table does not know; ``text`` is None for an unknown point, which
    is then shown as just its number."""
    normal = normal_point(point)
    order, _, number = normal.partition(":")
    return {"point": str(point), "law": LAWS.get(order), "paragraph": number or None, "text": RULE_WORDS.get(normal)}
