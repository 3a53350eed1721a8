export interface MoneyValue {
  amount: number; // minor units
  currency: string;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat(undefined, { style: "currency", currency });
    formatters.set(currency, formatter);
  }
  return formatter;
}

/** Digits after the decimal point in this currency (2 for EUR, 0 for JPY, 3 for KWD). */
export function minorDigits(currency: string): number {
  return formatterFor(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Money in the order's own currency, e.g. "€40.00" or "¥1,200". */
export function formatMoney(money: MoneyValue): string {
  return formatterFor(money.currency).format(money.amount / 10 ** minorDigits(money.currency));
}

/**
 * What a person typed ("40", "40.5", "1,040.50") -> minor units, or null when it is not an amount
 * of this currency (too many decimals, letters, negative).
 */
export function parseAmount(text: string, currency: string): number | null {
  const cleaned = text.trim().replace(/[\s,]/g, "");
  const digits = minorDigits(currency);
  const pattern = digits > 0 ? new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`) : /^\d+$/;
  if (!pattern.test(cleaned)) return null;
  const [whole = "0", fraction = ""] = cleaned.split(".");
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
  return Number.isSafeInteger(minor) ? minor : null;
}
