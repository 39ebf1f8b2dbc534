/** The studio's mark and name, in the sidebar and above the sign-in card. */
export function Brand() {
  return (
    <div className="brand">
      <span className="brand-mark" aria-hidden="true">
        <svg viewBox="0 0 32 32">
          <path
            d="M8 22 L14 14 L18 18 L24 9"
            stroke="#fff"
            strokeWidth="3"
            fill="none"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
      </span>
      <span className="brand-name">Fine-tuning Studio</span>
    </div>
  );
}
