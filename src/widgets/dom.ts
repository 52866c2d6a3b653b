/**
 * The one way the widgets build DOM elements: a tag, a class, text and attributes.
 */

/**
 * Create an element.
 *
 * @param tag - The tag name.
 * @param className - The element's classes, space-separated (may be empty).
 * @param text - Its text content, if any.
 * @param attributes - Attributes to set, such as `data-name` or `type`.
 * @returns The new element.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string,
  attributes: Record<string, string> = {}
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  return node;
}

/**
 * Create a button that calls `onClick` when pressed.
 *
 * @param className - The button's classes.
 * @param label - Its text.
 * @param onClick - What it does.
 * @param title - Its tooltip, if any.
 * @returns The new button.
 */
export function button(
  className: string,
  label: string,
  onClick: () => void,
  title?: string
): HTMLButtonElement {
  const node = element('button', `jp-greenhouse-button ${className}`, label, {
    type: 'button'
  });
  if (title) {
    node.title = title;
  }
  node.addEventListener('click', event => {
    event.stopPropagation();
    onClick();
  });
  return node;
}
