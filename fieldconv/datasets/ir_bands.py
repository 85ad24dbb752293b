"""Infrared correlation table: the bands of 16 functional groups and of the hydrocarbon skeleton.

Each band is ``(label, centre_lo, centre_hi, fwhm_lo, fwhm_hi, strength)``:
the centre range (cm^-1) within which a molecule's band falls, the range
of its intrinsic full width at half maximum (cm^-1, condensed phase) and
its typical peak absorbance relative to the strongest bands of organic
molecules (``vs`` 1.4, ``s`` 1.0, ``m`` 0.5, ``w`` 0.2, ``vw`` 0.08).

Sources: the standard correlation charts of Silverstein, Webster & Kiemle,
*Spectrometric Identification of Organic Compounds* (7th ed., ch. 2),
Socrates, *Infrared and Raman Characteristic Group Frequencies* (3rd ed.),
and Pavia et al., *Introduction to Spectroscopy* (5th ed., ch. 2).  Ranges
are the usual chart ranges; widths are typical condensed-phase values
(sharp triple-bond stretches ~10 cm^-1, carbonyls ~20 cm^-1, hydrogen-bonded
O-H and N-H 100-300 cm^-1, the carboxylic-acid O-H envelope 400-700 cm^-1).

Band labels are unique within a group.  Groups overlap as they do in real spectra: the carbonyls of ketones,
aldehydes, esters and acids lie within 1700-1750 cm^-1; nitrile, isocyanate
and alkyne stretches within 2100-2275 cm^-1; O-H and N-H stretches within
3100-3500 cm^-1; C-O stretches of alcohols, ethers and esters within
1000-1300 cm^-1.  Position, not band shape, tells them apart.
"""

from collections import namedtuple

__all__ = ["Band", "GROUP_BANDS", "GROUP_NAMES", "SKELETON_BANDS", "STRENGTHS"]

Band = namedtuple("Band", ["label", "centre_lo", "centre_hi", "fwhm_lo", "fwhm_hi", "strength"])
Band.__doc__ = """One band of a correlation table (cm^-1; strength in relative peak absorbance).

Examples
--------
>>> from fieldconv.datasets import GROUP_BANDS
>>> GROUP_BANDS["nitrile"][0]
Band(label='C#N stretch', centre_lo=2210, centre_hi=2260, fwhm_lo=8, fwhm_hi=15, strength=0.5)
"""

#: Relative peak absorbance of the chart's intensity classes.
STRENGTHS = {"vs": 1.4, "s": 1.0, "m": 0.5, "w": 0.2, "vw": 0.08}

_S = STRENGTHS

#: Functional group -> its bands.  A molecule with the group has every band
#: (each with its own centre, width and a +-40 % intensity spread).
GROUP_BANDS = {
    "alcohol": (
        Band("O-H stretch, H-bonded", 3200, 3400, 150, 300, _S["s"] * 0.7),
        Band("C-O stretch", 1000, 1260, 20, 40, _S["s"]),
        Band("O-H in-plane bend", 1330, 1420, 40, 60, _S["w"]),
    ),
    "carboxylic_acid": (
        Band("O-H stretch, dimer envelope", 2900, 3100, 400, 700, _S["m"] * 0.8),
        Band("C=O stretch", 1700, 1725, 20, 35, _S["vs"]),
        Band("C-O stretch", 1210, 1320, 25, 40, _S["s"] * 0.8),
        Band("O-H out-of-plane bend", 900, 950, 50, 80, _S["m"]),
    ),
    "primary_amine": (
        Band("N-H asymmetric stretch", 3380, 3450, 30, 60, _S["m"]),
        Band("N-H symmetric stretch", 3300, 3370, 30, 60, _S["m"]),
        Band("N-H scissor", 1580, 1650, 25, 40, _S["m"]),
        Band("C-N stretch", 1020, 1250, 20, 35, _S["w"] * 1.5),
        Band("N-H wag", 665, 910, 60, 100, _S["m"]),
    ),
    "amide": (
        Band("N-H stretch", 3150, 3350, 60, 120, _S["m"]),
        Band("amide I (C=O stretch)", 1630, 1690, 25, 40, _S["s"]),
        Band("amide II (N-H bend, C-N stretch)", 1510, 1570, 25, 40, _S["m"] * 1.4),
    ),
    "ketone": (
        Band("C=O stretch", 1705, 1725, 15, 25, _S["vs"]),
        Band("C-CO-C stretch", 1100, 1230, 20, 35, _S["w"] * 1.5),
    ),
    "aldehyde": (
        Band("C=O stretch", 1720, 1740, 15, 25, _S["vs"]),
        Band("C-H stretch (Fermi doublet, upper)", 2800, 2860, 15, 25, _S["w"] * 1.5),
        Band("C-H stretch (Fermi doublet, lower)", 2700, 2760, 15, 25, _S["w"] * 1.5),
    ),
    "ester": (
        Band("C=O stretch", 1735, 1750, 15, 25, _S["vs"]),
        Band("C-O-C asymmetric stretch", 1150, 1250, 30, 50, _S["s"]),
        Band("O-C-C stretch", 1000, 1100, 25, 40, _S["m"]),
    ),
    "nitrile": (
        Band("C#N stretch", 2210, 2260, 8, 15, _S["m"]),
    ),
    "alkyne": (
        Band("#C-H stretch", 3260, 3330, 15, 30, _S["s"]),
        Band("C#C stretch", 2100, 2140, 8, 15, _S["w"]),
        Band("#C-H bend", 610, 700, 20, 40, _S["s"] * 0.8),
    ),
    "alkene": (
        Band("=C-H stretch", 3010, 3100, 15, 25, _S["m"]),
        Band("C=C stretch", 1620, 1680, 10, 20, _S["m"] * 0.7),
        Band("=C-H out-of-plane bend", 960, 1000, 10, 25, _S["s"]),
        Band("=CH2 wag", 885, 920, 10, 25, _S["s"] * 0.8),
    ),
    "aromatic": (
        Band("aromatic C-H stretch", 3000, 3100, 10, 20, _S["w"]),
        Band("ring C=C stretch, 1600", 1585, 1610, 8, 15, _S["m"]),
        Band("ring C=C stretch, 1500", 1480, 1510, 8, 15, _S["m"]),
        Band("overtone/combination, upper", 1900, 2000, 20, 40, _S["vw"]),
        Band("overtone/combination, lower", 1750, 1850, 20, 40, _S["vw"]),
        Band("C-H out-of-plane bend", 730, 800, 10, 25, _S["s"]),
        Band("ring out-of-plane bend", 680, 710, 10, 20, _S["m"]),
    ),
    "nitro": (
        Band("NO2 asymmetric stretch", 1500, 1570, 15, 30, _S["s"] * 1.2),
        Band("NO2 symmetric stretch", 1300, 1370, 15, 30, _S["s"]),
        Band("C-N stretch", 850, 890, 15, 25, _S["w"]),
    ),
    "ether": (
        Band("C-O-C asymmetric stretch", 1070, 1150, 25, 50, _S["s"]),
    ),
    "alkyl_halide": (
        Band("C-Cl stretch", 600, 800, 20, 40, _S["s"]),
        Band("CH2-Cl wag", 1230, 1300, 15, 30, _S["w"]),
    ),
    "isocyanate": (
        Band("N=C=O asymmetric stretch", 2250, 2275, 20, 40, _S["vs"] * 1.2),
    ),
    "sulfonyl": (
        Band("S=O asymmetric stretch", 1300, 1350, 15, 30, _S["s"]),
        Band("S=O symmetric stretch", 1120, 1160, 15, 30, _S["s"]),
    ),
}

#: The 16 group names, in label-column order.
GROUP_NAMES = tuple(GROUP_BANDS)

#: Bands of the saturated hydrocarbon skeleton present in most molecules
#: (scaled per molecule by the number of CH2/CH3 groups).
SKELETON_BANDS = (
    Band("CH3 asymmetric stretch", 2950, 2970, 10, 20, _S["m"]),
    Band("CH2 asymmetric stretch", 2915, 2935, 10, 25, _S["s"]),
    Band("CH3 symmetric stretch", 2865, 2885, 10, 20, _S["w"] * 1.5),
    Band("CH2 symmetric stretch", 2845, 2865, 10, 20, _S["m"]),
    Band("CH2 scissor", 1445, 1475, 10, 25, _S["m"]),
    Band("CH3 umbrella", 1370, 1385, 8, 15, _S["w"] * 1.5),
    Band("CH2 rock", 720, 730, 5, 12, _S["w"]),
)
